package ai.finerewards.jobs;

import ai.finerewards.core.run.Stage;

/** A stage that has a place in the pipeline but no job yet; the CLI exits with code 2. */
public final class StageNotBuiltException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StageNotBuiltException(Stage stage, String available) {
    super("stage '" + stage.cliName() + "' is not built yet; stages available: " + available);
  }
}
