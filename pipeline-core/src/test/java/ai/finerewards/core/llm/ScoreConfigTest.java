package ai.finerewards.core.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.config.ConfigError;
import org.junit.jupiter.api.Test;

class ScoreConfigTest {
  private static ScoreConfig parse(String overrides) {
    return ScoreConfig.from(TinyModelFixtures.config(overrides).getConfig("finerewards.score"));
  }

  @Test
  void defaultsAreNeutralForImagesWithoutLabels() {
    ScoreConfig c = parse("");
    assertThat(c.noLabelsReward()).isEqualTo(0.0);
    assertThat(c.batchSize()).isEqualTo(16);
    assertThat(c.question()).contains("{scene}").contains("{label}").contains("3 = certain");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> parse("finerewards.score.question = \"rate {label}\""))
        .isInstanceOf(ConfigError.class).hasMessageContaining("finerewards.score.question")
        .hasMessageContaining("{scene} and {label}");
    assertThatThrownBy(() -> parse("finerewards.score.no-labels-reward = 0.7"))
        .hasMessageContaining("finerewards.score.no-labels-reward = 0.7");
    assertThatThrownBy(() -> parse("finerewards.score.batch-size = 0"))
        .hasMessageContaining("finerewards.score.batch-size = 0");
  }
}
