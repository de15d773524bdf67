package ai.finerewards.core.diffusion.scheduler;

/**
 * A scheduler config field with a value that is mistyped, unknown or not supported here. The message
 * names the field (diffusers' name, as in {@code scheduler_config.json}), the value found, what was
 * expected and where (the file, or the scheduler class that rejected it).
 */
public final class SchedulerConfigError extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param where the config file or the scheduler class that read the field
   * @param field diffusers' field name, e.g. {@code beta_schedule}
   * @param value the value found
   * @param expected what a valid value looks like
   */
  public SchedulerConfigError(String where, String field, Object value, String expected) {
    super(where + ": scheduler config field " + field + " = " + render(value) + ": expected " + expected);
    this.field = field;
  }

  /** diffusers' name of the offending field. */
  public String field() {
    return field;
  }

  private static String render(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }
}
