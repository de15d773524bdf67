package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exporter's scheduler goldens for the tiny diffusion model ({@code models/tiny/diffusion/golden/},
 * see its README): each scheduler built from the model's own {@code scheduler_config.json} (the SD 1.5
 * fields) reproduces diffusers' timesteps exactly and every step of the arange/fake-model loop; and the
 * full-pipeline goldens' timesteps and init_noise_sigma. Skipped where the tiny model is not checked out.
 */
class ExporterGoldenSchedulerTest {
  /**
   * The SchedulerParityTest bound (a per-step budget of ~1.6 float32 ulps over loops of up to 51
   * steps; see there). Measured: worst relative error 1.3e-6 (11 ulps, pndm 50 steps), worst absolute
   * 1.9e-6 (euler 50 steps, whose values start at init_noise_sigma, 14.6, times the sample). The final
   * sum and mean add the 128 elements of the [2,4,4,4] sample, each within that bound, so they keep
   * the elements' relative bound, 1e-5, plus ATOL-sized slack for sums near zero.
   */
  private static final double RTOL = 1e-5;
  private static final double ATOL = 1e-6;

  static Path modelDir() {
    return Path.of(System.getProperty("finerewards.repo.root", ".")).resolve("models/tiny/diffusion");
  }

  /** Golden file name and factory name of each scheduler. */
  static Stream<Arguments> schedulers() {
    return Stream.of(Arguments.of("ddim", "ddim"), Arguments.of("dpmsolver_multistep", "dpmsolver++"),
        Arguments.of("euler_discrete", "euler"), Arguments.of("pndm", "pndm"));
  }

  static Stream<Arguments> cases() {
    return schedulers().flatMap(a -> Stream.of(10, 50).map(steps -> Arguments.of(a.get()[0], a.get()[1], steps)));
  }

  private static JsonObject json(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  @ParameterizedTest(name = "{0} {2} steps")
  @MethodSource("cases")
  void schedulerAloneMatchesGolden(String goldenName, String factoryName, int steps) throws IOException {
    Path golden = modelDir().resolve("golden");
    Path meta = golden.resolve("scheduler_" + goldenName + "_" + steps + ".json");
    assumeTrue(Files.exists(meta), "tiny diffusion goldens not present at " + meta);
    JsonObject fx = json(meta);
    GoldenTensors tensors = GoldenTensors.read(golden.resolve("scheduler_" + goldenName + "_" + steps + ".safetensors"));

    Scheduler scheduler = Schedulers.create(factoryName, SchedulerConfig.read(modelDir().resolve("scheduler_config.json")));
    scheduler.setTimesteps(steps);
    assertThat(scheduler.timesteps()).containsExactly(SchedulerFixtures.floats(fx.getAsJsonArray("timesteps")));
    assertThat((double) scheduler.initNoiseSigma()).isCloseTo(fx.get("init_noise_sigma").getAsDouble(), within(1e-5));

    float[] sample = tensors.floats("sample");
    float[] prev = tensors.floats("prev_samples");
    int[] shape = tensors.shape("prev_samples");
    List<float[]> got = SchedulerFixtures.runLoop(scheduler, sample);
    assertThat(got).hasSize(shape[0]);
    double maxAbs = 0;
    double maxRel = 0;
    for (int i = 0; i < got.size(); i++) {
      float[] want = Arrays.copyOfRange(prev, i * sample.length, (i + 1) * sample.length);
      for (int k = 0; k < want.length; k++) {
        assertThat((double) got.get(i)[k]).as("step %d element %d", i, k)
            .isCloseTo(want[k], within(ATOL + RTOL * Math.abs(want[k])));
      }
      double[] err = SchedulerFixtures.maxErrors(got.get(i), want);
      maxAbs = Math.max(maxAbs, err[0]);
      maxRel = Math.max(maxRel, err[1]);
    }
    float[] last = got.get(got.size() - 1);
    double finalSum = fx.get("final_sum").getAsDouble();
    assertThat(SchedulerFixtures.sum(last)).isCloseTo(finalSum, within(1e-5 * Math.abs(finalSum) + 1e-5));
    double finalMean = fx.get("final_mean").getAsDouble();
    assertThat(SchedulerFixtures.sum(last) / last.length).isCloseTo(finalMean, within(1e-5 * Math.abs(finalMean) + 1e-7));
    System.out.printf(Locale.ROOT, "exporter golden %-22s %2d steps  max abs %.3e  max rel %.3e%n",
        goldenName, steps, maxAbs, maxRel);
  }

  @ParameterizedTest(name = "pipeline {0}")
  @MethodSource("schedulers")
  void pipelineGoldenTimestepsMatch(String goldenName, String factoryName) throws IOException {
    Path meta = modelDir().resolve("golden/pipeline_" + goldenName + ".json");
    assumeTrue(Files.exists(meta), "tiny diffusion pipeline goldens not present at " + meta);
    JsonObject fx = json(meta);
    Scheduler scheduler = Schedulers.create(factoryName, SchedulerConfig.read(modelDir().resolve("scheduler_config.json")));
    scheduler.setTimesteps(fx.get("num_inference_steps").getAsInt());
    assertThat(scheduler.timesteps()).containsExactly(SchedulerFixtures.floats(fx.getAsJsonArray("timesteps")));
    assertThat((double) scheduler.initNoiseSigma()).isCloseTo(fx.get("init_noise_sigma").getAsDouble(), within(1e-5));
  }
}
