package ai.finerewards.core.rank;

/** What happened to one prompt's selection. */
public enum PromptStatus {
  /** At least {@code min-candidates-per-prompt} valid candidates; the best are selected. */
  OK,
  /** Every candidate was excluded (each misses a reward); nothing is selected. */
  NO_VALID_CANDIDATE,
  /** Some valid candidates, but fewer than {@code min-candidates-per-prompt}; none selected. */
  TOO_FEW_VALID_CANDIDATES
}
