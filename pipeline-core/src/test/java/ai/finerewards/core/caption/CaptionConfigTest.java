package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class CaptionConfigTest {
  static Config section(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseResources("reference.conf")).resolve()
        .getConfig("finerewards.caption");
  }

  @Test
  void defaultsFromReferenceConf() {
    CaptionConfig c = CaptionConfig.from(section(""));
    assertThat(c).isEqualTo(new CaptionConfig(30, 8, 0.05));
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> CaptionConfig.from(section("finerewards.caption.max-new-tokens = 0")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("finerewards.caption.max-new-tokens = 0");
    assertThatThrownBy(() -> CaptionConfig.from(section("finerewards.caption.batch-size = many")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("finerewards.caption.batch-size");
    assertThatThrownBy(() -> CaptionConfig.from(section("finerewards.caption.max-error-fraction = 1.5")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("max-error-fraction = 1.5")
        .hasMessageContaining("[0.0, 1.0]");
  }

  @Test
  void errorLimitIsAStrictShare() {
    CaptionConfig c = new CaptionConfig(8, 4, 0.25);
    assertThat(c.tooManyErrors(1, 4)).isFalse();
    assertThat(c.tooManyErrors(2, 4)).isTrue();
    assertThat(new CaptionConfig(8, 4, 0.0).tooManyErrors(1, 1000)).isTrue();
    assertThat(new CaptionConfig(8, 4, 0.0).tooManyErrors(0, 0)).isFalse();
  }
}
