package ai.finerewards.core.diffusion;

/** What the generate stage does with a prompt that is empty or blank (finerewards.generate.on-empty-prompt). */
public enum EmptyPromptPolicy {
  /** Write no samples for it; the stage's report counts it. */
  SKIP,
  /** Stop the stage with an error naming the prompt id. */
  FAIL,
  /** Generate from the empty text, as diffusers does for prompt "": unconditional samples. */
  UNCONDITIONAL
}
