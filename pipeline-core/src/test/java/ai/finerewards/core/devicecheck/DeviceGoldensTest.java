package ai.finerewards.core.devicecheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.finerewards.core.io.HostTensor;
import java.nio.file.Path;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Part (a) of the device check, on the CPU: the same golden cases as the Java parity test. */
class DeviceGoldensTest {
  /** The repository root (surefire sets finerewards.repo.root). */
  private static final Path REPO =
      Path.of(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();

  @Test
  void everyTinyFamilysGoldenCasesPassOnTheCpuWithTheCpuTolerance() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    List<DeviceGoldens.Result> results = DeviceGoldens.run(REPO.resolve("models/tiny"), Device.cpu(),
        new PrintStream(buf, true, StandardCharsets.UTF_8));
    assertThat(results).allSatisfy(r -> assertThat(r.ok()).as(r.toString()).isTrue());
    assertThat(results).extracting(DeviceGoldens.Result::family).containsOnly(
        "diffusion", "clip", "captioner", "segmenter", "llm").contains("diffusion", "clip", "captioner", "segmenter", "llm");
    assertThat(results).allSatisfy(r -> assertThat(r.tolerance()).isEqualTo(GoldenTolerance.CPU));
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("ok   diffusion/unet unet.safetensors:out_lora_zero max|d| ");
  }

  @Test
  void aDifferenceOverTheToleranceANanOrAnotherShapeFails() {
    GoldenTolerance t = new GoldenTolerance(1e-3, 0);
    HostTensor golden = HostTensor.ofFloats(new float[] {1f, 2f}, 2);
    assertThat(DeviceGoldens.compare("f", "c", "g", "o", HostTensor.ofFloats(new float[] {1.0009f, 2f}, 2), golden, t).ok())
        .isTrue();
    DeviceGoldens.Result over = DeviceGoldens.compare("f", "c", "g", "o",
        HostTensor.ofFloats(new float[] {1f, 2.002f}, 2), golden, t);
    assertThat(over.ok()).isFalse();
    assertThat(over.maxAbs()).isBetween(1.9e-3, 2.1e-3);
    assertThat(DeviceGoldens.compare("f", "c", "g", "o", HostTensor.ofFloats(new float[] {Float.NaN, 2f}, 2), golden, t)
        .ok()).isFalse();
    assertThat(DeviceGoldens.compare("f", "c", "g", "o", HostTensor.ofFloats(new float[] {1f, 2f}, 1, 2), golden, t)
        .ok()).isFalse();
  }

  @Test
  void gpuTolerancesAreLooserOnlyWherePyTorchMeasuredADifference() {
    assertThat(GoldenTolerance.of("diffusion", true).atol()).isEqualTo(2e-3); // 3x 6.8e-4
    assertThat(GoldenTolerance.of("segmenter", true).atol()).isEqualTo(3e-3); // 3x 1.0e-3
    assertThat(GoldenTolerance.of("llm", true).atol()).isEqualTo(1e-4);
    assertThat(GoldenTolerance.of("clip", false)).isEqualTo(GoldenTolerance.CPU);
    assertThatThrownBy(() -> GoldenTolerance.of("vae", true)).hasMessageContaining("no GPU tolerance for model family vae");
  }
}
