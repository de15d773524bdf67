package ai.finerewards.core.prompts;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code finerewards.prompts} section: where the prompts are and how to read and check them.
 *
 * @param path file or directory (any Hadoop FileSystem URI or local path)
 * @param format input format; {@code AUTO} = by file extension
 * @param column the prompt column (parquet, jsonl, csv, tsv)
 * @param idColumn the id column; absent or null/blank values get derived ids
 * @param onInvalid skip or fail on invalid records
 * @param reportExamples examples reported per kind of problem
 */
public record PromptsConfig(
    String path, PromptFormat format, String column, String idColumn, InvalidPromptPolicy onInvalid, int reportExamples) {

  private static final String SECTION = "prompts.";

  public PromptsConfig {
    if (path == null || path.isBlank()) {
      throw new ConfigError(SECTION + "path", path, "a file or directory of prompts");
    }
    if (column == null || column.isBlank()) {
      throw new ConfigError(SECTION + "column", column, "the name of the prompt column");
    }
    if (idColumn == null || idColumn.isBlank()) {
      throw new ConfigError(SECTION + "id-column", idColumn, "the name of the prompt id column");
    }
    if (column.equals(idColumn)) {
      throw new ConfigError(SECTION + "id-column", idColumn, "a column other than finerewards.prompts.column");
    }
    if (reportExamples < 0 || reportExamples > 1000) {
      throw new ConfigError(SECTION + "report-examples", reportExamples, "an integer from 0 to 1000");
    }
  }

  /** Parses the {@code finerewards.prompts} section (the reference.conf defaults merged in). */
  public static PromptsConfig from(Config section) {
    return new PromptsConfig(
        string(section, "path"),
        parseEnum(section, "format", PromptFormat.class),
        string(section, "column"),
        string(section, "id-column"),
        parseEnum(section, "on-invalid", InvalidPromptPolicy.class),
        integer(section, "report-examples"));
  }

  private static String string(Config c, String key) {
    try {
      return c.getString(key);
    } catch (ConfigException.Missing e) {
      throw new ConfigError(SECTION + key, null, "a value (the key is missing)");
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(SECTION + key, c.getValue(key).render(), "a string");
    }
  }

  private static int integer(Config c, String key) {
    // The one reader's integer rule: 2.5 or "two" fail naming the key (getInt would truncate).
    return new SectionReader(c, "prompts").intInRange(key, 0, 1000);
  }

  private static <E extends Enum<E>> E parseEnum(Config c, String key, Class<E> type) {
    String value = string(c, key);
    try {
      return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      String allowed = Arrays.toString(Arrays.stream(type.getEnumConstants())
          .map(v -> v.name().toLowerCase(Locale.ROOT)).toArray());
      throw new ConfigError(SECTION + key, value, "one of " + allowed);
    }
  }
}
