package ai.finerewards.core.prompts;

import java.util.List;

/** The prompt input cannot be read at all (no file, unknown format, missing prompt column): always fatal. */
public class PromptInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PromptInputException(String message) {
    super(message);
  }

  public static PromptInputException missingColumn(String file, String column, List<String> found) {
    return new PromptInputException("prompt input " + file + " has no column '" + column
        + "' (finerewards.prompts.column); columns found: " + found);
  }
}
