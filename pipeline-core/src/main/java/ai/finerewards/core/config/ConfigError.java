package ai.finerewards.core.config;

/**
 * A configuration value that fails validation. The message names the full key under
 * {@code finerewards}, the bad value and what was expected, so a user can fix the file at once.
 */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigError(String key, Object value, String expected) {
    super("config key finerewards." + key + " = " + value + ": expected " + expected);
  }
}
