package ai.finerewards.core.clip;

/**
 * One prompt as the text encoder receives it.
 *
 * @param ids exactly the model's maximum length: BOS, the prompt's tokens, EOS, then padding
 * @param truncatedTokens prompt tokens dropped to fit the limit (0 = none)
 */
public record PromptTokens(long[] ids, int truncatedTokens) {}
