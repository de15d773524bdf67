package ai.finerewards.core.prompts;

/** Invalid prompt rows under policy {@code fail}, or no valid prompt at all; the message is the full report. */
public final class InvalidPromptsException extends PromptInputException {
  private static final long serialVersionUID = 1L;

  private final transient PromptValidationReport report;

  public InvalidPromptsException(String reason, PromptValidationReport report) {
    super(reason + "\n" + report.summary());
    this.report = report;
  }

  public PromptValidationReport report() {
    return report;
  }
}
