package ai.finerewards.core.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.List;

/**
 * The commit record of one table round partition, stored as {@value #FILE_NAME} (JSON) inside the
 * partition directory. A partition is committed only if this file is present and every data file
 * it lists exists with the listed size and CRC-32C: the marker doubles as the partition's manifest,
 * so a reader never picks up a stray, half-copied or damaged file (see docs/table-commits.md).
 *
 * @param table table name, e.g. {@code ranked}
 * @param round RAFT round of the partition
 * @param stage the stage that wrote it
 * @param rowCount rows in the data files, checked against the rows the writer produced
 * @param contractName table contract the rows were validated against
 * @param contractVersion version of that contract
 * @param fingerprint the writing stage's fingerprint (inputs, config, code); resume compares it
 * @param codeVersion version of the code that wrote it
 * @param committedAt ISO-8601 instant of the commit
 * @param files data files, relative to the partition directory, with their sizes and checksums
 */
public record CommitMarker(
    String format,
    String table,
    int round,
    String stage,
    long rowCount,
    String contractName,
    int contractVersion,
    String fingerprint,
    String codeVersion,
    String committedAt,
    List<DataFile> files) {

  public static final String FILE_NAME = "_FINEREWARDS_COMMIT";
  // Version 2 added the per-file CRC-32C; a version-1 marker is read as "not committed" (recomputed).
  public static final String FORMAT = "finerewards-commit/2";

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  /**
   * One data file of the partition: name relative to the partition directory, size in bytes and
   * CRC-32C of its bytes (8 lower-case hex digits; see {@link FileChecksum}).
   */
  public record DataFile(String name, long size, String crc32c) {}

  public CommitMarker {
    files = List.copyOf(files);
  }

  public String toJson() {
    return GSON.toJson(this);
  }

  /** Parses a marker; {@code source} (a path) is named in the error if the JSON is unusable. */
  public static CommitMarker fromJson(String json, String source) {
    CommitMarker marker;
    try {
      marker = GSON.fromJson(json, CommitMarker.class);
    } catch (JsonParseException e) {
      throw new IllegalStateException("commit marker " + source + " is not valid JSON: " + e.getMessage(), e);
    }
    if (marker != null && marker.format() != null && marker.format().startsWith("finerewards-commit/")
        && !FORMAT.equals(marker.format())) {
      throw new OutdatedFormat(source, marker.format());
    }
    if (marker == null || !FORMAT.equals(marker.format()) || marker.files() == null || marker.table() == null
        || marker.files().stream().anyMatch(f -> f.crc32c() == null)) {
      throw new IllegalStateException(
          "commit marker " + source + " is not a " + FORMAT + " record (format, table and files with"
              + " name, size and crc32c are required)");
    }
    return marker;
  }

  /** A marker of an earlier format: the partition counts as not committed and is recomputed. */
  public static final class OutdatedFormat extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    OutdatedFormat(String source, String format) {
      super("commit marker " + source + " has format " + format + ", written before " + FORMAT
          + " (which records file checksums)");
    }
  }
}
