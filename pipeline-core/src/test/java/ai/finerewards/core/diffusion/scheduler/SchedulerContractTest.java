package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The calls every scheduler shares: ordering, state reset, input checks and rejected config values. */
class SchedulerContractTest {
  static final SchedulerConfig SD = SchedulerConfig.fromJson(SchedulerConfigTest.SD15, "sd15");

  static Stream<String> names() {
    return Schedulers.NAMES.stream();
  }

  static float[] arangeSample() {
    float[] x = new float[32];
    for (int i = 0; i < x.length; i++) {
      x[i] = (x.length - i) / (float) x.length;
    }
    return x;
  }

  @ParameterizedTest
  @MethodSource("names")
  void stepBeforeSetTimestepsThrows(String name) {
    Scheduler s = Schedulers.create(name, SD);
    float[] x = arangeSample();
    assertThatThrownBy(() -> s.step(x, 999f, x)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("setTimesteps");
    assertThatThrownBy(s::timesteps).isInstanceOf(IllegalStateException.class);
  }

  @ParameterizedTest
  @MethodSource("names")
  void setTimestepsResetsAllState(String name) {
    Scheduler s = Schedulers.create(name, SD);
    s.setTimesteps(10);
    List<float[]> first = SchedulerFixtures.runLoop(s, arangeSample());
    // Half a loop, then start over: history, counters and step index must all reset.
    s.setTimesteps(7);
    float[] t = s.timesteps();
    float[] x = arangeSample();
    for (int i = 0; i < 3; i++) {
      x = s.step(SchedulerFixtures.fakeModel(s.scaleModelInput(x, t[i]), t[i]), t[i], x);
    }
    s.setTimesteps(10);
    List<float[]> second = SchedulerFixtures.runLoop(s, arangeSample());
    assertThat(second).hasSameSizeAs(first);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i)).as("step %d", i).containsExactly(first.get(i));
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void outOfOrderTimestepsAndExtraStepsThrow(String name) {
    Scheduler s = Schedulers.create(name, SD);
    s.setTimesteps(5);
    float[] t = s.timesteps();
    float[] x = arangeSample();
    assertThatThrownBy(() -> s.step(x, t[t.length - 1], x)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not the next timestep");
    SchedulerFixtures.runLoop(s, x);
    assertThatThrownBy(() -> s.step(x, t[t.length - 1], x)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("setTimesteps again");
  }

  @ParameterizedTest
  @MethodSource("names")
  void badStepCountsAndShapesAreRejected(String name) {
    Scheduler s = Schedulers.create(name, SD);
    assertThatThrownBy(() -> s.setTimesteps(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..1000");
    assertThatThrownBy(() -> s.setTimesteps(1001)).isInstanceOf(IllegalArgumentException.class);
    s.setTimesteps(4);
    float t = s.timesteps()[0];
    assertThatThrownBy(() -> s.step(new float[3], t, new float[4])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model output has 3 values");
    assertThatThrownBy(() -> s.addNoise(new float[10], new float[10], new float[] {t, t, t}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("equal batch rows");
  }

  @ParameterizedTest
  @MethodSource("names")
  void inputsAreNotModified(String name) {
    Scheduler s = Schedulers.create(name, SD);
    s.setTimesteps(6);
    float[] x = arangeSample();
    float[] m = SchedulerFixtures.fakeModel(x, 3f);
    float[] xCopy = x.clone();
    float[] mCopy = m.clone();
    for (float t : s.timesteps()) {
      s.scaleModelInput(x, t);
      s.step(m, t, x);
    }
    assertThat(x).containsExactly(xCopy);
    assertThat(m).containsExactly(mCopy);
  }

  static Stream<Arguments> rejectedValues() {
    return Stream.of(
        Arguments.of("ddim", "{\"beta_schedule\": \"cubic\"}", "beta_schedule"),
        Arguments.of("dpmsolver++", "{\"beta_schedule\": \"cubic\"}", "beta_schedule"),
        Arguments.of("euler", "{\"beta_schedule\": \"cubic\"}", "beta_schedule"),
        Arguments.of("pndm", "{\"beta_schedule\": \"cubic\"}", "beta_schedule"),
        Arguments.of("ddim", "{\"prediction_type\": \"x0\"}", "prediction_type"),
        Arguments.of("pndm", "{\"prediction_type\": \"sample\"}", "prediction_type"),
        Arguments.of("ddim", "{\"timestep_spacing\": \"random\"}", "timestep_spacing"),
        Arguments.of("euler", "{\"timestep_spacing\": \"random\"}", "timestep_spacing"),
        Arguments.of("ddim", "{\"thresholding\": true}", "thresholding"),
        Arguments.of("dpmsolver++", "{\"algorithm_type\": \"sde-dpmsolver++\"}", "algorithm_type"),
        Arguments.of("dpmsolver++", "{\"algorithm_type\": \"dpmsolver\"}", "algorithm_type"),
        Arguments.of("dpmsolver++", "{\"solver_type\": \"rk4\"}", "solver_type"),
        Arguments.of("dpmsolver++", "{\"solver_order\": 4}", "solver_order"),
        Arguments.of("dpmsolver++", "{\"final_sigmas_type\": \"max\"}", "final_sigmas_type"),
        Arguments.of("dpmsolver++", "{\"use_lu_lambdas\": true}", "use_lu_lambdas"),
        Arguments.of("dpmsolver++", "{\"variance_type\": \"learned_range\"}", "variance_type"),
        Arguments.of("euler", "{\"interpolation_type\": \"log_linear\"}", "interpolation_type"),
        Arguments.of("euler", "{\"use_exponential_sigmas\": true}", "use_exponential_sigmas"),
        Arguments.of("euler", "{\"timestep_type\": \"continuous\", \"prediction_type\": \"v_prediction\"}", "timestep_type"),
        Arguments.of("pndm", "{\"skip_prk_steps\": false}", "skip_prk_steps"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("rejectedValues")
  void unsupportedValuesFailInTheConstructorNamingTheField(String name, String override, String field) {
    SchedulerConfig config = SD.with(override);
    assertThatThrownBy(() -> Schedulers.create(name, config))
        .isInstanceOf(SchedulerConfigError.class)
        .hasMessageContaining("scheduler config field " + field + " = ")
        .satisfies(e -> assertThat(((SchedulerConfigError) e).field()).isEqualTo(field));
  }

  @Test
  void pndmWithoutSkipPrkStepsUsesItsClassDefaultFalseAndIsRejected() {
    assertThatThrownBy(() -> Schedulers.create("pndm", SchedulerConfig.empty()))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("skip_prk_steps = false");
  }

  @Test
  void fieldsOfOtherClassesAreIgnoredAsFromConfigDoes() {
    // SD's PNDM config carries skip_prk_steps, set_alpha_to_one and clip_sample: DPM-Solver++ ignores them,
    // and an unknown key is kept but unused.
    Scheduler s = Schedulers.create("dpmsolver++", SD.with("{\"some_future_field\": 1}"));
    s.setTimesteps(10);
    assertThat(s.timesteps()).containsExactly(999, 899, 799, 699, 599, 500, 400, 300, 200, 100);
  }

  @ParameterizedTest
  @ValueSource(strings = {"DDIM", "dpm", "lms", ""})
  void unknownSchedulerNameIsRejected(String name) {
    assertThatThrownBy(() -> Schedulers.create(name, SD)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ddim, dpmsolver++, euler, pndm");
  }

  @Test
  void ddimAndPndmAddNoiseNeedNoSchedule() {
    // The DDPM forward process only needs alpha-bar, so training can noise without setTimesteps.
    float[] x = {1f, 2f, 3f, 4f};
    float[] n = {0.5f, -0.5f, 0.25f, -0.25f};
    float[] noisy = Schedulers.create("ddim", SD).addNoise(x, n, new float[] {0f, 999f});
    assertThat(noisy).containsExactly(Schedulers.create("pndm", SD).addNoise(x, n, new float[] {0f, 999f}));
    assertThatThrownBy(() -> Schedulers.create("ddim", SD).addNoise(x, n, new float[] {0.5f, 1000f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an integer in [0, 1000)");
  }

  @Test
  void eulerAddNoiseRejectsATimestepOutsideTheSchedule() {
    Scheduler s = Schedulers.create("euler", SD);
    s.setTimesteps(10);
    assertThatThrownBy(() -> s.addNoise(new float[2], new float[2], new float[] {500f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not one of the inference timesteps");
  }
}
