package ai.finerewards.core.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class PromptsConfigTest {

  private static Config section(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.defaultReference())
        .resolve()
        .getConfig("finerewards.prompts");
  }

  @Test
  void referenceDefaults() {
    PromptsConfig c = PromptsConfig.from(section(""));
    assertThat(c).isEqualTo(new PromptsConfig("conf/demo/prompts.txt", PromptFormat.AUTO, "prompt", "prompt_id",
        InvalidPromptPolicy.SKIP, 5));
  }

  @Test
  void overridesAreParsedCaseInsensitively() {
    PromptsConfig c = PromptsConfig.from(section(
        "finerewards.prompts { path = \"s3a://b/p.tsv\", format = TSV, column = text, id-column = id, on-invalid = Fail }"));
    assertThat(c.format()).isEqualTo(PromptFormat.TSV);
    assertThat(c.onInvalid()).isEqualTo(InvalidPromptPolicy.FAIL);
    assertThat(c.column()).isEqualTo("text");
  }

  @Test
  void badValuesNameTheKeyTheValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.format = xml")))
        .isInstanceOf(ConfigError.class)
        .hasMessage("config key finerewards.prompts.format = xml: expected one of [auto, parquet, jsonl, csv, tsv, text]");
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.on-invalid = ignore")))
        .hasMessage("config key finerewards.prompts.on-invalid = ignore: expected one of [skip, fail]");
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.path = \" \"")))
        .hasMessageContaining("config key finerewards.prompts.path =  : expected a file or directory of prompts");
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.report-examples = many")))
        .hasMessage("config key finerewards.prompts.report-examples = \"many\": expected an integer in [0, 1000]");
    // getInt would have truncated this to 2 silently.
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.report-examples = 2.5")))
        .isInstanceOf(ConfigError.class)
        .hasMessage("config key finerewards.prompts.report-examples = 2.5: expected an integer in [0, 1000]");
    assertThatThrownBy(() -> PromptsConfig.from(section("finerewards.prompts.id-column = prompt")))
        .hasMessageContaining("finerewards.prompts.id-column = prompt: expected a column other than");
  }
}
