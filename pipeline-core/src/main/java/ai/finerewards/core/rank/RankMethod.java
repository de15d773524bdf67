package ai.finerewards.core.rank;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How the per-reward values of a prompt's candidates are combined into one assembled score.
 * Formulas are in docs/ranking.md; in every method a higher assembled score is better.
 */
public enum RankMethod {
  /** Negated weighted sum of per-reward fractional ranks (rank 1 = best, ties share the mean). */
  RANK_SUM("rank-sum"),
  /** Weighted sum of per-prompt z-scores (population standard deviation). */
  ZSCORE("zscore"),
  /** Weighted sum of the raw reward values (signed by each reward's direction). */
  WEIGHTED_SUM("weighted-sum");

  private final String configName;

  RankMethod(String configName) {
    this.configName = configName;
  }

  /** The value written in config ({@code finerewards.rank.method}) and in the ranked table. */
  public String configName() {
    return configName;
  }

  public static Optional<RankMethod> fromConfigName(String name) {
    return Arrays.stream(values()).filter(m -> m.configName.equals(name)).findFirst();
  }

  /** "rank-sum | zscore | weighted-sum", for error messages. */
  public static String allowedNames() {
    return Arrays.stream(values()).map(RankMethod::configName).collect(Collectors.joining(" | "));
  }
}
