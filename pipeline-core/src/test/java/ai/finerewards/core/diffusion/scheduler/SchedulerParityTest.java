package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
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
  /**
   * numpy.allclose-style bound on every element: |a - e| <= ATOL + RTOL |e|. These loops are plain
   * Java arithmetic (no libtorch), so the kernel pins do not touch them and Java computes the same
   * bits on every x86-64 CPU; the difference is diffusers' rounding (torch float32 with coefficients
   * from numpy float64) against ours. Each step is a few multiply-adds rounded to float32, ~1-2 ulps
   * of the result; carried over a loop of up to 51 steps (the fake model's ODE contracts, so errors
   * do not grow faster) that is a per-step budget of 1.6 ulps: RTOL = 84 float32 ulps (1e-5) for the
   * longest loops. ATOL covers elements near zero, where a step cancels two terms of size ~1 and
   * keeps their rounding: 8 ulps of 1. Measured: worst relative error 2.5e-6 (21 ulps, dpm_order3_20),
   * worst absolute 8.3e-7 (dpm_linear_sample_10), bar the zero-SNR loop covered by its ulp term below
   * (2.4e-4 at sigma 4096, 2.8e-5 relative).
   */
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-6;

  private static boolean isEulerKarras(JsonObject fx) {
    JsonObject cfg = fx.getAsJsonObject("config_file");
    return fx.get("scheduler").getAsString().equals("euler") && cfg.has("use_karras_sigmas")
        && cfg.get("use_karras_sigmas").getAsBoolean();
  }

  private static float maxAbs(float[] x) {
    float m = 0;
    for (float v : x) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  private static float[] scaled(float[] x, float factor) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * factor;
    }
    return out;
  }

  /** Every element within ATOL + RTOL |expected| + extra. */
  private static void assertClose(float[] got, float[] want, double extra, String what) {
    assertThat(got).as(what + " length").hasSize(want.length);
    for (int k = 0; k < want.length; k++) {
      assertThat((double) got[k]).as("%s element %d", what, k)
          .isCloseTo(want[k], within(ATOL + RTOL * Math.abs(want[k]) + extra));
    }
  }

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

    float[] wantTimesteps = SchedulerFixtures.floats(fx.getAsJsonArray("timesteps"));
    if (isEulerKarras(fx)) {
      // Euler-Karras timesteps are fractional and go through numpy's float32 log, which is not
      // correctly rounded (1 ulp off on ~20% of inputs): they agree to ~1e-5, not bit for bit.
      assertThat(scheduler.timesteps()).as("timesteps").containsExactly(wantTimesteps, within(1e-4f));
    } else {
      assertThat(scheduler.timesteps()).as("timesteps").containsExactly(wantTimesteps);
    }
    float expectedSigma = fx.get("init_noise_sigma").getAsFloat();
    assertThat(scheduler.initNoiseSigma()).as("init_noise_sigma").isCloseTo(expectedSigma, within(expectedSigma * 1e-6f));

    float[] sample = SchedulerFixtures.floats(fx.getAsJsonArray("sample"));
    JsonArray expected = fx.getAsJsonArray("prev_samples");
    List<float[]> want = new ArrayList<>();
    expected.forEach(e -> want.add(SchedulerFixtures.floats(e.getAsJsonArray())));
    float start = maxAbs(sample) * scheduler.initNoiseSigma();

    // 1. Each step alone, fed diffusers' own previous sample: agreement to float32 rounding. The ulp
    // term covers steps that cancel large terms (zero-SNR Euler starts at sigma 4096), where one
    // differently rounded sqrt in torch's MKL kernels (not correctly rounded) shows at the input's ulp.
    Scheduler forced = Schedulers.create(fx.get("scheduler").getAsString(), config);
    forced.setTimesteps(fx.get("num_inference_steps").getAsInt());
    float[] ts = forced.timesteps();
    float[] x = scaled(sample, forced.initNoiseSigma());
    for (int i = 0; i < ts.length; i++) {
      float[] got = forced.step(SchedulerFixtures.fakeModel(forced.scaleModelInput(x, ts[i]), ts[i]), ts[i], x);
      assertClose(got, want.get(i), 2 * Math.ulp(maxAbs(x)), "forced step " + i);
      x = want.get(i);
    }

    // 2. The free-running loop, as the pipeline runs it: rounding differences of the first steps carry
    // forward (bounded by the first input's ulps; the fake model's ODE contracts), final sum and mean.
    List<float[]> steps = SchedulerFixtures.runLoop(scheduler, sample);
    assertThat(steps).hasSize(want.size());
    double carried = 2 * Math.ulp(start);
    double maxAbsErr = 0;
    double maxRelErr = 0;
    for (int i = 0; i < steps.size(); i++) {
      assertClose(steps.get(i), want.get(i), carried, "step " + i);
      double[] err = SchedulerFixtures.maxErrors(steps.get(i), want.get(i));
      maxAbsErr = Math.max(maxAbsErr, err[0]);
      maxRelErr = Math.max(maxRelErr, err[1]);
    }
    float[] last = steps.get(steps.size() - 1);
    double sumTol = 0;
    for (float e : want.get(want.size() - 1)) {
      sumTol += ATOL + RTOL * Math.abs(e) + carried;
    }
    double finalSum = fx.get("final_sum").getAsDouble();
    assertThat(SchedulerFixtures.sum(last)).as("final sum").isCloseTo(finalSum, within(sumTol));
    double finalMean = fx.get("final_mean").getAsDouble();
    assertThat(SchedulerFixtures.sum(last) / last.length).as("final mean").isCloseTo(finalMean, within(sumTol / last.length));
    System.out.printf(Locale.ROOT, "scheduler parity %-36s steps %3d  max abs %.3e  max rel %.3e%n",
        name, steps.size(), maxAbsErr, maxRelErr);

    JsonObject noiseCase = fx.getAsJsonObject("add_noise");
    Scheduler noiser = Schedulers.create(fx.get("scheduler").getAsString(), config);
    noiser.setTimesteps(fx.get("num_inference_steps").getAsInt());
    // The fixture noises to the first and the last timestep of the schedule; take them from the Java
    // schedule (identical to the fixture's, but for Euler-Karras' last-digit differences checked above).
    float[] noisy = noiser.addNoise(sample, SchedulerFixtures.floats(noiseCase.getAsJsonArray("noise")),
        new float[] {ts[0], ts[ts.length - 1]});
    float[] wantNoisy = SchedulerFixtures.floats(noiseCase.getAsJsonArray("noisy"));
    for (int k = 0; k < wantNoisy.length; k++) {
      assertThat((double) noisy[k]).as("add_noise element %d", k).isCloseTo(wantNoisy[k], within(ATOL + RTOL * Math.abs(wantNoisy[k])));
    }
  }
}
