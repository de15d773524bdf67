package ai.finerewards.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.prompts.PromptsConfig;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.train.TrainConfig;
import com.typesafe.config.Config;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every section's integer keys follow the one rule of SectionReader: a fraction or a word fails
 * naming the full key (Typesafe's getInt/getLong would truncate 2.5 to 2 and run with it).
 */
class SectionReaderTest {
  private final PipelineConfigLoader loader = new PipelineConfigLoader();

  @ParameterizedTest
  @CsvSource({
      "generate.steps, 2.5, generate",
      "generate.samples-per-prompt, 1.9, generate",
      "generate.batch-size, two, generate",
      "generate.height, 72.5, generate",
      "train.max-steps, 2.7, train",
      "prompts.report-examples, 3.5, prompts",
      "rank.keep-per-prompt, 1.5, rank",
  })
  void fractionalOrNonNumericIntegersFailNamingTheFullKey(String key, String value, String section) {
    Config config = loader.load(null, List.of(key + "=" + value));
    assertThatThrownBy(() -> parser(section).apply(PipelineConfigLoader.section(config, section)))
        .isInstanceOf(ConfigError.class)
        .hasMessageStartingWith("config key finerewards." + key + " = ")
        .hasMessageContaining(value)
        .hasMessageContaining("expected an integer");
  }

  @Test
  void wholeNumbersAreReadAsWritten() {
    Config config = loader.load(null, List.of("generate.steps=3", "generate.samples-per-prompt=\"2\"", "train.max-steps=7"));
    assertThat(GenerateConfig.from(PipelineConfigLoader.section(config, "generate")).settings().steps()).isEqualTo(3);
    assertThat(GenerateConfig.from(PipelineConfigLoader.section(config, "generate")).samplesPerPrompt()).isEqualTo(2);
    assertThat(new SectionReader(PipelineConfigLoader.section(config, "train"), "train").longValue("max-steps")).isEqualTo(7);
  }

  private static Function<Config, Object> parser(String section) {
    return switch (section) {
      case "generate" -> GenerateConfig::from;
      case "train" -> TrainConfig::from;
      case "prompts" -> PromptsConfig::from;
      case "rank" -> RankConfig::from;
      default -> throw new IllegalArgumentException(section);
    };
  }
}
