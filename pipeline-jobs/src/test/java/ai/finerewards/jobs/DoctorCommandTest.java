package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.finerewards.core.model.Libtorch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code finerewards doctor} through the CLI entry point, on this JVM's engine (no Spark). */
class DoctorCommandTest {
  record Result(int code, String out, String err) {}

  static Result doctor(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 1];
    all[0] = "doctor";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = FineRewardsCli.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        c -> { throw new AssertionError("doctor must not start Spark"); }, false);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void reportsTheLoadedLibtorchJniGpusAndEachFamilysDevice() {
    Result r = doctor();
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    String device = gpus == 0 ? "cpu()" : "gpu(0)";
    assertThat(r.out())
        .contains("libtorch (configured): libtorch of the pytorch-native jar")
        .containsPattern("libtorch \\(loaded\\): /\\S*/libtorch\\.so, torch " + Libtorch.JAR_TORCH_VERSION + ", flavour cpu")
        .containsPattern("JNI: /\\S*libdjl_torch\\.so")
        .contains("GPUs visible: " + gpus)
        .contains("model diffusion: device " + device + ", dtype auto")
        .contains("model llm: device " + device)
        .doesNotContain("FAIL");
  }

  @Test
  void gpuWithoutAVisibleGpuFailsWithANamedReason() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "a GPU is visible");
    Result r = doctor("--set", "models.device=gpu");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("model segmenter: device none")
        .contains("FAIL no-gpu-visible: finerewards.models.device = gpu but the PyTorch engine sees no GPU");
  }

  @Test
  void anUnusableLibtorchFailsBeforeTheEngineStarts() {
    Result r = doctor("--set", "models.libtorch.path=/nonexistent/torch/lib", "--set", "models.libtorch.version=2.11.0");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).startsWith("FAIL libtorch-unusable: finerewards.models.libtorch.path = /nonexistent/torch/lib");
  }

  @Test
  void badArgumentsAndConfigHaveTheirExitCodes() {
    assertThat(doctor("--round", "1").code()).isEqualTo(64);
    Result bad = doctor("--set", "models.libtorch.flavor=cuda");
    assertThat(bad.code()).isEqualTo(78);
    assertThat(bad.err()).contains("finerewards.models.libtorch.flavor = cuda");
  }
}
