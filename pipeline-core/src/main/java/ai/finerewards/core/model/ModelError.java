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

  private ModelError(String message, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
  }

  /**
   * An error without stack trace or cause, for failures inside a Spark task: Spark logs a task's
   * exception with its whole trace once per task and again on the driver, and a TorchScript load
   * failure carries hundreds of lines of C++ frames. The message says all a user can act on.
   */
  public static ModelError brief(String message) {
    return new ModelError(message, false);
  }

  /** The first line of {@code t}'s message (PyTorch puts its C++ backtrace after it). */
  public static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage()).strip();
    int nl = m.indexOf('\n');
    return t.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl).strip());
  }
}
