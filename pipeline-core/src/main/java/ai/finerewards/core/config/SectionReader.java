package ai.finerewards.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed reads from one section of the configuration that turn every Typesafe exception into a
 * {@link ConfigError} naming the full key. Section records use it in their {@code from} factories.
 */
public final class SectionReader {
  private final Config section;
  private final String prefix;

  /**
   * @param section the section's config, e.g. {@code root.getConfig("finerewards.run")}
   * @param sectionPath its path below {@code finerewards.}, e.g. {@code run}; used in messages
   */
  public SectionReader(Config section, String sectionPath) {
    this.section = section;
    this.prefix = sectionPath.isEmpty() ? "" : sectionPath + ".";
  }

  /** The full key below {@code finerewards.} for {@code key} of this section. */
  public String fullKey(String key) {
    return prefix + key;
  }

  /** The raw value as the user wrote it, for messages; "(missing)" when absent. */
  public Object raw(String key) {
    if (!section.hasPathOrNull(key)) {
      return "(missing)";
    }
    ConfigValue v = section.getValue(key);
    return v.render(com.typesafe.config.ConfigRenderOptions.concise());
  }

  public String string(String key) {
    try {
      return section.getString(key);
    } catch (ConfigException e) {
      throw new ConfigError(fullKey(key), raw(key), "a string");
    }
  }

  public String nonBlankString(String key) {
    String s = string(key);
    if (s.isBlank()) {
      throw new ConfigError(fullKey(key), "\"" + s + "\"", "a non-empty string");
    }
    return s;
  }

  public boolean bool(String key) {
    try {
      return section.getBoolean(key);
    } catch (ConfigException e) {
      throw new ConfigError(fullKey(key), raw(key), "true or false");
    }
  }

  public long longValue(String key) {
    return integral(key, "an integer");
  }

  /** An int in {@code [min, max]}. */
  public int intInRange(String key, int min, int max) {
    String expected = "an integer in [" + min + ", " + max + "]";
    long v = integral(key, expected);
    if (v < min || v > max) {
      throw new ConfigError(fullKey(key), v, expected);
    }
    return (int) v;
  }

  public int intAtLeast(String key, int min) {
    String expected = "an integer >= " + min;
    long v = integral(key, expected);
    if (v < min || v > Integer.MAX_VALUE) {
      throw new ConfigError(fullKey(key), v, expected);
    }
    return (int) v;
  }

  /**
   * A whole number written as one: {@code 3} or {@code "3"}. Typesafe's getInt/getLong truncate
   * {@code 2.5} to 2 silently, so a count given as a fraction would run with another value than
   * the user wrote; it fails here naming the key.
   */
  private long integral(String key, String expected) {
    if (!section.hasPath(key)) {
      throw new ConfigError(fullKey(key), raw(key), expected);
    }
    Object value = section.getValue(key).unwrapped();
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    if (value instanceof String text) {
      try {
        return Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw new ConfigError(fullKey(key), raw(key), expected);
  }

  /** A finite number (range checks are the caller's). */
  public double number(String key, String expected) {
    double v;
    try {
      v = section.getDouble(key);
    } catch (ConfigException e) {
      throw new ConfigError(fullKey(key), raw(key), expected);
    }
    if (!Double.isFinite(v)) {
      throw new ConfigError(fullKey(key), raw(key), expected);
    }
    return v;
  }

  /** A finite double in {@code [min, max]}. */
  public double doubleInRange(String key, double min, double max) {
    double v;
    try {
      v = section.getDouble(key);
    } catch (ConfigException e) {
      throw new ConfigError(fullKey(key), raw(key), "a number in [" + min + ", " + max + "]");
    }
    if (!(v >= min && v <= max)) {
      throw new ConfigError(fullKey(key), v, "a number in [" + min + ", " + max + "]");
    }
    return v;
  }

  public List<String> stringList(String key) {
    try {
      return List.copyOf(section.getStringList(key));
    } catch (ConfigException e) {
      throw new ConfigError(fullKey(key), raw(key), "a list of strings");
    }
  }

  /**
   * One of {@code allowed}, compared case-insensitively, returned lower-case.
   */
  public String oneOf(String key, String... allowed) {
    String s = string(key).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(s)) {
        return s;
      }
    }
    throw new ConfigError(fullKey(key), raw(key), "one of " + String.join(", ", allowed));
  }

  /** An enum constant by name: {@code gpu-memory} matches {@code GPU_MEMORY}. */
  public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    String s = string(key);
    String wanted = s.trim().replace('-', '_').toUpperCase(Locale.ROOT);
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(wanted)) {
        return e;
      }
      names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    throw new ConfigError(fullKey(key), raw(key), "one of " + String.join(", ", names));
  }

  /** The section itself, for nested reads. */
  public Config section() {
    return section;
  }
}
