package ai.finerewards.core.rank;

/** The reasons written to {@code excluded_reason}: stable strings, counted in the summary. */
public final class Exclusions {

  /** Prefix for a reward that is absent, null or NaN: {@code missing_reward:<name>}. */
  public static final String MISSING_REWARD = "missing_reward:";

  /** Prefix for a reward that is +/-Infinity: {@code nonfinite_reward:<name>}. */
  public static final String NONFINITE_REWARD = "nonfinite_reward:";

  private Exclusions() {}

  public static String missingReward(String reward) {
    return MISSING_REWARD + reward;
  }

  public static String nonFiniteReward(String reward) {
    return NONFINITE_REWARD + reward;
  }
}
