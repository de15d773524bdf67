package ai.finerewards.core.prompts;

/** What happens to invalid prompt rows (config {@code finerewards.prompts.on-invalid}). Both report. */
public enum InvalidPromptPolicy {
  /** Drop invalid rows (keeping the first of duplicates), log the report, go on. */
  SKIP,
  /** Stop with {@link InvalidPromptsException} carrying the full report. */
  FAIL
}
