package ai.finerewards.core.prompts;

/** A prompt that passed validation: one row of the prompts table, minus the round. */
public record ValidPrompt(String promptId, String prompt, boolean idDerived, String sourceFile, long sourceRow) {}
