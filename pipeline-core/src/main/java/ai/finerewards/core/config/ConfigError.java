package ai.finerewards.core.config;

/**
 * A configuration value that is missing, mistyped or out of range. The message names the full key,
 * the value found and what was expected, so a user can fix the HOCON file or the {@code --set}.
 */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key the key below {@code finerewards.}, e.g. {@code run.rounds}
   * @param value the value found (may be null when the key is missing)
   * @param expected what a valid value looks like
   */
  public ConfigError(String key, Object value, String expected) {
    super("config key finerewards." + key + " = " + value + ": expected " + expected);
    this.key = key;
  }

  /** The key below {@code finerewards.} that is wrong. */
  public String key() {
    return key;
  }
}
