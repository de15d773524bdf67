package ai.finerewards.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class StageFingerprintTest {
  private static final List<StageFingerprint.Input> INPUTS = List.of(
      new StageFingerprint.Input("captions", 0, "aaa", 10), new StageFingerprint.Input("llm_scores", 0, "bbb", 10));

  private static Config conf(String hocon) {
    return ConfigFactory.parseString(hocon);
  }

  private static String fp(Stage stage, int round, String code, Config c, List<StageFingerprint.Input> in) {
    return StageFingerprint.compute(stage, round, code, c, in);
  }

  @Test
  void dependsOnlyOnTheStagesOwnSectionsAndNotOnKeyOrder() {
    Config a = conf("finerewards { rank { x = 1, y = [a, b] }, caption { z = 1 } }");
    Config reordered = conf("finerewards { caption { z = 2 }, rank { y = [a, b], x = 1 } }");
    String base = fp(Stage.RANK, 0, "1", a, INPUTS);
    assertThat(base).hasSize(64).isEqualTo(fp(Stage.RANK, 0, "1", reordered, INPUTS));
  }

  @Test
  void changesWithEveryIngredient() {
    Config a = conf("finerewards.rank.x = 1");
    String base = fp(Stage.RANK, 0, "1", a, INPUTS);
    assertThat(fp(Stage.RANK, 0, "1", conf("finerewards.rank.x = 2"), INPUTS)).isNotEqualTo(base);
    assertThat(fp(Stage.RANK, 1, "1", a, INPUTS)).isNotEqualTo(base);
    assertThat(fp(Stage.RANK, 0, "2", a, INPUTS)).isNotEqualTo(base);
    assertThat(fp(Stage.REPORT, 0, "1", a, INPUTS)).isNotEqualTo(base);
    assertThat(fp(Stage.RANK, 0, "1", a, List.of(INPUTS.get(0), new StageFingerprint.Input("llm_scores", 0, "bbb", 11))))
        .isNotEqualTo(base);
    assertThat(fp(Stage.RANK, 0, "1", a, List.of(INPUTS.get(0), new StageFingerprint.Input("llm_scores", 0, "ccc", 10))))
        .isNotEqualTo(base);
  }
}
