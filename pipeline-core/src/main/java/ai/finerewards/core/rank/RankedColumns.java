package ai.finerewards.core.rank;

/**
 * Column names the rank stage writes for each {@link RankedCandidate}, besides the key and the
 * reward columns it read. One place for them, so the job, the table contract and the report agree.
 */
public final class RankedColumns {

  /** Fractional rank of one reward (double, null when excluded): {@code <reward>_rank}. */
  public static String rankOf(String reward) {
    return reward + "_rank";
  }

  /** Assembled score, higher is better (double, null when excluded). */
  public static final String ASSEMBLED_SCORE = "assembled_score";

  /** 1-based position in the prompt after the tie-break (int, null when excluded). */
  public static final String RANK_IN_PROMPT = "rank_in_prompt";

  /** Selected among the prompt's best (boolean). */
  public static final String SELECTED_IN_PROMPT = "selected_in_prompt";

  /** Final selection the train stage consumes (boolean). */
  public static final String SELECTED = "selected";

  /** Why the candidate was left out of ranking, see {@link Exclusions} (string, nullable). */
  public static final String EXCLUDED_REASON = "excluded_reason";

  /** The method's config name, e.g. {@code rank-sum} (string). */
  public static final String RANK_METHOD = "rank_method";

  private RankedColumns() {}
}
