package ai.finerewards.core.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {
  /** runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json. */
  static final String SD15 = "{\n"
      + "  \"_class_name\": \"PNDMScheduler\",\n"
      + "  \"_diffusers_version\": \"0.6.0\",\n"
      + "  \"beta_end\": 0.012,\n"
      + "  \"beta_schedule\": \"scaled_linear\",\n"
      + "  \"beta_start\": 0.00085,\n"
      + "  \"num_train_timesteps\": 1000,\n"
      + "  \"set_alpha_to_one\": false,\n"
      + "  \"skip_prk_steps\": true,\n"
      + "  \"steps_offset\": 1,\n"
      + "  \"trained_betas\": null,\n"
      + "  \"clip_sample\": false\n"
      + "}";

  /** Every field of the record set to a non-default value, plus a key no scheduler knows. */
  static final String EVERY_FIELD = "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"_diffusers_version\": \"0.31.0\","
      + "\"num_train_timesteps\": 3, \"beta_start\": 0.001, \"beta_end\": 0.03, \"beta_schedule\": \"scaled_linear\","
      + "\"trained_betas\": [0.1, 0.2, 0.3], \"prediction_type\": \"v_prediction\", \"timestep_spacing\": \"trailing\","
      + "\"steps_offset\": 1, \"set_alpha_to_one\": false, \"clip_sample\": false, \"clip_sample_range\": 2.5,"
      + "\"thresholding\": true, \"dynamic_thresholding_ratio\": 0.9, \"sample_max_value\": 3.0,"
      + "\"rescale_betas_zero_snr\": true, \"skip_prk_steps\": true, \"solver_order\": 3, \"algorithm_type\": \"sde-dpmsolver++\","
      + "\"solver_type\": \"heun\", \"lower_order_final\": false, \"euler_at_final\": true, \"use_karras_sigmas\": true,"
      + "\"use_exponential_sigmas\": true, \"use_beta_sigmas\": true, \"use_lu_lambdas\": true, \"final_sigmas_type\": \"sigma_min\","
      + "\"lambda_min_clipped\": -Infinity, \"variance_type\": \"learned_range\", \"interpolation_type\": \"log_linear\","
      + "\"sigma_min\": 0.02, \"sigma_max\": 80.0, \"timestep_type\": \"continuous\","
      + "\"some_future_field\": {\"nested\": [1, 2]}}";

  @Test
  void parsesStableDiffusionConfigLeavingAbsentFieldsNull() {
    SchedulerConfig c = SchedulerConfig.fromJson(SD15, "sd15");
    assertThat(c.className()).isEqualTo("PNDMScheduler");
    assertThat(c.numTrainTimesteps()).isEqualTo(1000);
    assertThat(c.betaStart()).isEqualTo(0.00085);
    assertThat(c.betaSchedule()).isEqualTo("scaled_linear");
    assertThat(c.stepsOffset()).isEqualTo(1);
    assertThat(c.skipPrkSteps()).isTrue();
    assertThat(c.trainedBetas()).as("JSON null is absent").isNull();
    assertThat(c.timestepSpacing()).as("absent: each scheduler takes its own default").isNull();
    assertThat(c.predictionType()).isNull();
    assertThat(c.extra()).isEmpty();
  }

  @Test
  void roundTripKeepsEveryField() {
    SchedulerConfig c = SchedulerConfig.fromJson(EVERY_FIELD, "every field");
    for (RecordComponent rc : SchedulerConfig.class.getRecordComponents()) {
      Object v;
      try {
        v = rc.getAccessor().invoke(c);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
      assertThat(v).as("field %s is set by the fixture", rc.getName()).isNotNull();
    }
    assertThat(c.lambdaMinClipped()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(c.trainedBetas()).containsExactly(0.1, 0.2, 0.3);
    assertThat(c.extra()).containsKey("some_future_field");

    SchedulerConfig again = SchedulerConfig.fromJson(c.toJson(), "round trip");
    assertThat(again).isEqualTo(c);
    assertThat(SchedulerConfig.fromJson(again.toJson(), "second round trip")).isEqualTo(c);
  }

  @Test
  void javaSerializationKeepsEveryField() throws Exception {
    SchedulerConfig c = SchedulerConfig.fromJson(EVERY_FIELD, "every field");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(c);
    }
  }

  @Test
  void roundTripOfStableDiffusionConfig() {
    SchedulerConfig c = SchedulerConfig.fromJson(SD15, "sd15");
    assertThat(SchedulerConfig.fromJson(c.toJson(), "again")).isEqualTo(c);
  }

  @Test
  void readsAFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("scheduler_config.json");
    Files.writeString(file, SD15);
    assertThat(SchedulerConfig.read(file)).isEqualTo(SchedulerConfig.fromJson(SD15, "x"));

    Files.writeString(file, "{\"num_train_timesteps\": \"many\"}");
    assertThatThrownBy(() -> SchedulerConfig.read(file))
        .isInstanceOf(SchedulerConfigError.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("num_train_timesteps")
        .hasMessageContaining("many")
        .satisfies(e -> assertThat(((SchedulerConfigError) e).field()).isEqualTo("num_train_timesteps"));
  }

  @Test
  void wrongJsonTypesNameTheField() {
    assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"steps_offset\": 1.5}", "t"))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("steps_offset = 1.5: expected an integer");
    assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"clip_sample\": \"no\"}", "t"))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("clip_sample").hasMessageContaining("true or false");
    assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"beta_schedule\": 3}", "t"))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("beta_schedule").hasMessageContaining("string");
    assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"trained_betas\": [0.1, \"x\"]}", "t"))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("trained_betas");
    assertThatThrownBy(() -> SchedulerConfig.fromJson("[1, 2]", "list.json"))
        .isInstanceOf(SchedulerConfigError.class).hasMessageContaining("list.json").hasMessageContaining("JSON object");
  }

  @Test
  void useDefaultValuesFieldsCountAsAbsentLikeFromConfig() {
    // diffusers' in-memory config lists the fields it defaulted; from_config drops them, so a PNDM
    // config's defaulted "leading" spacing does not override Euler's own "linspace".
    SchedulerConfig c = SchedulerConfig.fromJson(
        "{\"timestep_spacing\": \"leading\", \"steps_offset\": 1, \"_use_default_values\": [\"timestep_spacing\"]}", "t");
    assertThat(c.timestepSpacing()).isNull();
    assertThat(c.stepsOffset()).isEqualTo(1);
    assertThat(c.extra()).doesNotContainKey("_use_default_values");
  }

  @Test
  void withOverridesAndRemovesFields() {
    SchedulerConfig c = SchedulerConfig.fromJson(SD15, "sd15")
        .with("{\"timestep_spacing\": \"trailing\", \"steps_offset\": null}");
    assertThat(c.timestepSpacing()).isEqualTo("trailing");
    assertThat(c.stepsOffset()).isNull();
    assertThat(c.betaSchedule()).isEqualTo("scaled_linear");
  }

  @Test
  void jsonNamesFollowDiffusers() {
    assertThat(List.of("numTrainTimesteps", "useLuLambdas", "className", "lambdaMinClipped").stream()
        .map(SchedulerConfig::jsonName))
        .containsExactly("num_train_timesteps", "use_lu_lambdas", "_class_name", "lambda_min_clipped");
  }
}
