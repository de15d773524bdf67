package ai.finerewards.core.rank;

import java.io.Serializable;

/**
 * One reward column taking part in the ranking.
 *
 * @param name the reward column name, e.g. {@code caption_reward}
 * @param weight its weight, finite and {@code >= 0}; a zero weight keeps the reward's ranks in the
 *     output but gives it no say in the assembled score, and its missing values exclude nobody
 * @param higherIsBetter whether a larger value is better (true for both FineRewards rewards)
 */
public record RewardSpec(String name, double weight, boolean higherIsBetter) implements Serializable {

  public RewardSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("reward name must not be blank");
    }
    if (!Double.isFinite(weight) || weight < 0) {
      throw new IllegalArgumentException(
          "reward " + name + ": weight must be finite and >= 0, got " + weight);
    }
  }

  /** True when this reward contributes to the assembled score and its absence excludes. */
  public boolean counts() {
    return weight > 0;
  }

  /** The value re-signed so that larger is always better. */
  double oriented(double value) {
    // + 0.0 turns -0.0 into 0.0, so that equal values compare equal everywhere.
    return (higherIsBetter ? value : -value) + 0.0;
  }
}
