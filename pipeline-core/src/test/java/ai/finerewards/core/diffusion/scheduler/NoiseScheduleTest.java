package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** betas and alphas_cumprod bit for bit against diffusers 0.31.0 / torch 2.7.1 (noise_schedules.json). */
class NoiseScheduleTest {

  @ParameterizedTest
  @ValueSource(strings = {"linear", "scaled_linear", "squaredcos_cap_v2"})
  void betasAndAlphasCumprodMatchTorchExactly(String schedule) {
    JsonObject fx = SchedulerFixtures.load("noise_schedules").getAsJsonObject(schedule);
    SchedulerConfig config = SchedulerConfig.fromJson(fx.get("config").toString(), schedule);
    NoiseSchedule ns = NoiseSchedule.from(config, "test", false);
    assertThat(ns.betas).containsExactly(SchedulerFixtures.floats(fx.getAsJsonArray("betas")));
    assertThat(ns.alphasCumprod).containsExactly(SchedulerFixtures.floats(fx.getAsJsonArray("alphas_cumprod")));
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 7, 1000, 1001})
  void torchLinspaceHitsBothEnds(int n) {
    float[] v = ArrayMath.torchLinspaceF32(0.1, 0.7, n);
    assertThat(v[0]).isEqualTo(0.1f);
    assertThat(v[n - 1]).isEqualTo(0.7f);
    for (int i = 1; i < n; i++) {
      assertThat(v[i]).isGreaterThan(v[i - 1]);
    }
  }

  @Test
  void trainedBetasOfTheWrongLengthAreRejectedNamingTheField() {
    SchedulerConfig config = SchedulerConfig.fromJson("{\"num_train_timesteps\": 4, \"trained_betas\": [0.1, 0.2]}", "t");
    assertThatThrownBy(() -> NoiseSchedule.from(config, "DdimScheduler", false))
        .isInstanceOf(SchedulerConfigError.class)
        .hasMessageContaining("trained_betas")
        .hasMessageContaining("num_train_timesteps = 4");
  }

  @Test
  void trainedBetasAreUsedAsGiven() {
    SchedulerConfig config = SchedulerConfig.fromJson("{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2, 0.5]}", "t");
    NoiseSchedule ns = NoiseSchedule.from(config, "t", false);
    assertThat(ns.betas).containsExactly(0.1f, 0.2f, 0.5f);
    // float32 alphas, product accumulated in float64 (torch's CPU cumprod)
    double a0 = 1.0f - 0.1f;
    double a1 = 1.0f - 0.2f;
    double a2 = 1.0f - 0.5f;
    assertThat(ns.alphasCumprod).containsExactly((float) a0, (float) (a0 * a1), (float) (a0 * a1 * a2));
  }
}
