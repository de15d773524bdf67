package ai.finerewards.core.llm;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.io.Serializable;

/** The parsed {@code finerewards.score} section. */
public record ScoreConfig(String question, int batchSize, double noLabelsReward) implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String SECTION = "score";

  public static ScoreConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    String q = r.nonBlankString("question");
    if (!q.contains("{scene}") || !q.contains("{label}")) {
      throw new ConfigError(r.fullKey("question"), q, "a text containing {scene} and {label}");
    }
    return new ScoreConfig(q, r.intAtLeast("batch-size", 1), r.doubleInRange("no-labels-reward", -0.5, 0.5));
  }
}
