package ai.finerewards.core.prompts;

/**
 * One record of a prompt input before validation.
 *
 * @param sourceFile the file it came from
 * @param sourceRow 1-based line (text, JSON Lines) or row (CSV/TSV after the header, Parquet)
 * @param promptId the id given in the input; null or blank = derive one
 * @param prompt the prompt text; null when absent
 * @param undecodable non-null when the record could not be decoded (malformed JSON or CSV, invalid
 *     UTF-8): the raw text as far as it was read
 */
public record RawPrompt(String sourceFile, long sourceRow, String promptId, String prompt, String undecodable) {}
