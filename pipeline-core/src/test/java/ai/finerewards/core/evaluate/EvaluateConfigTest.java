package ai.finerewards.core.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.prompts.PromptFormat;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class EvaluateConfigTest {
  private static Config section(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference())
        .resolve().getConfig("finerewards.evaluate");
  }

  @Test
  void defaultsReadTheHeldOutPromptsWithThePromptKeys() {
    EvaluateConfig c = EvaluateConfig.from(section(""));
    assertThat(c.prompts().path()).isEqualTo("conf/demo/heldout-prompts.txt");
    assertThat(c.prompts().format()).isEqualTo(PromptFormat.AUTO);
    assertThat(c.samplesPerPrompt()).isEqualTo(4);
    assertThat(c.baseSeed()).isEqualTo(20240607L);
  }

  @Test
  void aBadValueNamesTheKeyUnderEvaluate() {
    assertThatThrownBy(() -> EvaluateConfig.from(section("finerewards.evaluate.prompts.format = yaml")))
        .isInstanceOf(ConfigError.class).hasMessageStartingWith("config key finerewards.evaluate.prompts.format = ");
    assertThatThrownBy(() -> EvaluateConfig.from(section("finerewards.evaluate.samples-per-prompt = 0")))
        .isInstanceOf(ConfigError.class).hasMessageStartingWith("config key finerewards.evaluate.samples-per-prompt = 0");
  }
}
