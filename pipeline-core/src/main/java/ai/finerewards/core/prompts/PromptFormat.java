package ai.finerewards.core.prompts;

import java.util.Locale;

/** The prompt input formats; {@link #AUTO} picks one from the file name. */
public enum PromptFormat {
  AUTO,
  PARQUET,
  JSONL,
  CSV,
  TSV,
  /** Plain text, UTF-8, one prompt a line. */
  TEXT;

  /** Compression suffixes that Hadoop's codecs read through; looked past when guessing the format. */
  private static final String[] COMPRESSION = {".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst"};

  /** This format, or for {@link #AUTO} the format of {@code fileName} by its extension. */
  public PromptFormat resolve(String fileName) {
    return this == AUTO ? byExtension(fileName) : this;
  }

  /**
   * The format of a file by extension: .parquet/.pq, .jsonl/.ndjson/.json, .csv, .tsv/.tab,
   * .txt/.text; a compression suffix (.gz, ...) is looked through; parquet part files of a
   * directory ({@code part-00000-....snappy.parquet}) are recognised.
   */
  public static PromptFormat byExtension(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    int slash = name.lastIndexOf('/');
    name = name.substring(slash + 1);
    for (String c : COMPRESSION) {
      if (name.endsWith(c)) {
        name = name.substring(0, name.length() - c.length());
        break;
      }
    }
    if (name.endsWith(".parquet") || name.endsWith(".pq")) {
      return PARQUET;
    }
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
      return JSONL;
    }
    if (name.endsWith(".csv")) {
      return CSV;
    }
    if (name.endsWith(".tsv") || name.endsWith(".tab")) {
      return TSV;
    }
    if (name.endsWith(".txt") || name.endsWith(".text")) {
      return TEXT;
    }
    throw new PromptInputException("cannot tell the prompt format of " + fileName
        + " from its extension (.parquet, .jsonl, .csv, .tsv, .txt); set finerewards.prompts.format");
  }

  /** How a position in this format is called in reports: a line of a text file, a row otherwise. */
  public String positionName() {
    return this == TEXT || this == JSONL ? "line" : "row";
  }

  /** The config spelling (lower case). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
