package ai.finerewards.core.prompts;

/** The kinds of invalid prompt rows, in the order they are checked. */
public enum PromptIssue {
  UNDECODABLE("undecodable records (malformed JSON/CSV or invalid UTF-8)"),
  NULL_PROMPT("null prompts (field missing or null)"),
  BLANK_PROMPT("empty or blank prompts"),
  DUPLICATE_ID("duplicate ids (same id as an earlier row, different text)"),
  DUPLICATE_PROMPT("duplicate prompts (same normalised text as an earlier row)");

  private final String description;

  PromptIssue(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }
}
