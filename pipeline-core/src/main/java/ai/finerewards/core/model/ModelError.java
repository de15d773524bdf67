package ai.finerewards.core.model;

/**
 * A model directory, manifest or model file that cannot be used. The message names the path (and
 * the manifest field) and what was expected.
 */
public final class ModelError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelError(String message) {
    super(message);
  }

  public ModelError(String message, Throwable cause) {
    super(message, cause);
  }
}
