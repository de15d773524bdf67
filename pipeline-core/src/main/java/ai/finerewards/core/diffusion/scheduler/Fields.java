package ai.finerewards.core.diffusion.scheduler;

import java.util.Arrays;

/** Reads config fields with a class default and rejects values a scheduler does not support. */
final class Fields {
  private Fields() {}

  static <T> T or(T value, T classDefault) {
    return value != null ? value : classDefault;
  }

  /** The value (or the class default) if it is one of {@code allowed}, else a {@link SchedulerConfigError}. */
  static String oneOf(String owner, String field, String value, String classDefault, String... allowed) {
    String v = or(value, classDefault);
    if (!Arrays.asList(allowed).contains(v)) {
      throw new SchedulerConfigError(owner, field, v, "one of " + String.join(", ", allowed));
    }
    return v;
  }

  static void require(boolean ok, String owner, String field, Object value, String expected) {
    if (!ok) {
      throw new SchedulerConfigError(owner, field, value, expected);
    }
  }

  /** A boolean feature this port does not implement: only the value {@code false} is accepted. */
  static void rejectTrue(String owner, String field, Boolean value, String why) {
    require(value == null || !value, owner, field, value, "false (" + why + ")");
  }
}
