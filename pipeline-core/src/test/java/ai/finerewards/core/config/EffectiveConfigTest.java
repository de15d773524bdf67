package ai.finerewards.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.util.List;
import org.junit.jupiter.api.Test;

class EffectiveConfigTest {
  private final PipelineConfigLoader loader = new PipelineConfigLoader();

  @Test
  void canonicalJsonIsSortedAndCompact() {
    Config c = loader.load(null, List.of("run.root=/r", "run.rounds=3"));
    assertThat(EffectiveConfig.canonicalJson(c, List.of("run")))
        .isEqualTo("{\"run\":{\"base-seed\":20240101,\"root\":\"/r\",\"rounds\":3}}");
  }

  @Test
  void fingerprintIgnoresSpellingButNotValues() {
    Config a = loader.load(null, List.of("run.rounds=3"));
    Config b = loader.load(null, List.of("run.rounds=3.0", "models.device=cpu"));
    Config d = loader.load(null, List.of("run.rounds=4"));
    List<String> sections = List.of("run");
    assertThat(EffectiveConfig.fingerprint(a, sections))
        .isEqualTo(EffectiveConfig.fingerprint(b, sections))
        .isNotEqualTo(EffectiveConfig.fingerprint(d, sections))
        .hasSize(64);
    // Section order given by the caller does not matter; the content of every section does.
    assertThat(EffectiveConfig.fingerprint(a, List.of("run", "models")))
        .isEqualTo(EffectiveConfig.fingerprint(a, List.of("models", "run")))
        .isNotEqualTo(EffectiveConfig.fingerprint(b, List.of("models", "run")));
  }

  @Test
  void missingSectionIsAnError() {
    assertThatThrownBy(() -> EffectiveConfig.canonicalJson(loader.defaults(), List.of("nosuch")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.nosuch");
  }

  @Test
  void hoconRenderingKeepsComments() {
    String hocon = EffectiveConfig.toHocon(loader.defaults());
    assertThat(hocon).contains("finerewards").contains("base-seed=20240101")
        .contains("# Number of RAFT rounds");
  }
}
