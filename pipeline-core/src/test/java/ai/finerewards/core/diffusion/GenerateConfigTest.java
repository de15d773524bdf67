package ai.finerewards.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.PipelineConfigLoader;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generate section: the reference defaults (DESIGN's hyper-parameters), the demo override, bad values. */
class GenerateConfigTest {
  private static GenerateConfig parse(String file, String... sets) {
    return GenerateConfig.from(PipelineConfigLoader.section(new PipelineConfigLoader().load(file, List.of(sets)), "generate"));
  }

  @Test
  void defaultsAreTheReferenceHyperParameters() {
    GenerateConfig c = parse(null);
    assertThat(c.samplesPerPrompt()).isEqualTo(10);
    assertThat(c.settings()).isEqualTo(new GenerationSettings("dpmsolver++", 50, 7.5, 512, 512, ""));
    assertThat(c.settings().schedulerClassName()).isEqualTo("DPMSolverMultistepScheduler");
    assertThat(c.onEmptyPrompt()).isEqualTo(EmptyPromptPolicy.SKIP);
    assertThat(c.batchSize()).isEqualTo(4);
  }

  @Test
  void theDemoConfRunsTheTinyModelAtItsNativeSize() {
    Path local = Paths.get(System.getProperty("finerewards.repo.root", "../")).resolve("conf/local.conf");
    GenerateConfig c = parse(local.toString());
    assertThat(c.settings().height()).isEqualTo(64);
    assertThat(c.settings().width()).isEqualTo(64);
    DiffusionModelConfig tiny = DiffusionModelConfig.from(TinyDiffusion.directory().manifest());
    assertThat(c.settings().height()).isEqualTo(tiny.nativeHeight());
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> parse(null, "generate.steps=0")).isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.generate.steps");
    assertThatThrownBy(() -> parse(null, "generate.width=100")).isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.generate.width = 100").hasMessageContaining("multiple of 8");
    assertThatThrownBy(() -> parse(null, "generate.scheduler=lms")).isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.generate.scheduler");
    assertThatThrownBy(() -> parse(null, "generate.on-empty-prompt=ignore")).isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.generate.on-empty-prompt");
  }
}
