package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@code scheduler-fixtures/} (diffusers 0.31.0 replays, CPU float32): the timesteps
 * exactly, every step's sample element-wise, the final sum and mean, and add_noise.
 */
class SchedulerParityTest {
  /** numpy.allclose-style bound on every element: |a - e| <= ATOL + RTOL |e|. */
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-6;

  static Stream<String> cases() {
    return SchedulerFixtures.caseNames().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesDiffusers(String name) {
    JsonObject fx = SchedulerFixtures.load(name);
    SchedulerConfig config = SchedulerConfig.fromJson(fx.get("config_file").toString(), name);
    Scheduler scheduler = Schedulers.create(fx.get("scheduler").getAsString(), config);
    scheduler.setTimesteps(fx.get("num_inference_steps").getAsInt());

    assertThat(scheduler.timesteps()).as("timesteps").containsExactly(SchedulerFixtures.floats(fx.getAsJsonArray("timesteps")));
    float expectedSigma = fx.get("init_noise_sigma").getAsFloat();
    assertThat(scheduler.initNoiseSigma()).as("init_noise_sigma").isCloseTo(expectedSigma, within(expectedSigma * 1e-6f));

    float[] sample = SchedulerFixtures.floats(fx.getAsJsonArray("sample"));
    List<float[]> steps = SchedulerFixtures.runLoop(scheduler, sample);
    JsonArray expected = fx.getAsJsonArray("prev_samples");
    assertThat(steps).hasSize(expected.size());
    double maxAbs = 0;
    double maxRel = 0;
    for (int i = 0; i < steps.size(); i++) {
      float[] want = SchedulerFixtures.floats(expected.get(i).getAsJsonArray());
      float[] got = steps.get(i);
      for (int k = 0; k < want.length; k++) {
        assertThat((double) got[k]).as("step %d element %d", i, k).isCloseTo(want[k], within(ATOL + RTOL * Math.abs(want[k])));
      }
      double[] err = SchedulerFixtures.maxErrors(got, want);
      maxAbs = Math.max(maxAbs, err[0]);
      maxRel = Math.max(maxRel, err[1]);
    }
    float[] last = steps.get(steps.size() - 1);
    double finalSum = fx.get("final_sum").getAsDouble();
    assertThat(SchedulerFixtures.sum(last)).as("final sum").isCloseTo(finalSum, within(1e-5 * Math.abs(finalSum) + 1e-6));
    double finalMean = fx.get("final_mean").getAsDouble();
    assertThat(SchedulerFixtures.sum(last) / last.length).as("final mean")
        .isCloseTo(finalMean, within(1e-5 * Math.abs(finalMean) + 1e-8));
    System.out.printf(Locale.ROOT, "scheduler parity %-36s steps %3d  max abs %.3e  max rel %.3e%n",
        name, steps.size(), maxAbs, maxRel);

    JsonObject noiseCase = fx.getAsJsonObject("add_noise");
    Scheduler noiser = Schedulers.create(fx.get("scheduler").getAsString(), config);
    noiser.setTimesteps(fx.get("num_inference_steps").getAsInt());
    float[] noisy = noiser.addNoise(sample, SchedulerFixtures.floats(noiseCase.getAsJsonArray("noise")),
        SchedulerFixtures.floats(noiseCase.getAsJsonArray("timesteps")));
    float[] wantNoisy = SchedulerFixtures.floats(noiseCase.getAsJsonArray("noisy"));
    for (int k = 0; k < wantNoisy.length; k++) {
      assertThat((double) noisy[k]).as("add_noise element %d", k).isCloseTo(wantNoisy[k], within(ATOL + RTOL * Math.abs(wantNoisy[k])));
    }
  }
}
