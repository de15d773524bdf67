package ai.finerewards.schemas;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Data does not match its table contract. The message names the table, the direction (write or
 * read), and for every mismatch the column, what the contract expects and what was found, e.g.
 * {@code table samples (read): column seed: expected bigint, found string}.
 */
public final class SchemaMismatchException extends RuntimeException {

  /** One difference; {@code column} is a dotted path for nested fields ({@code parts[].bbox.x0}). */
  public record Mismatch(String column, String expected, String found) {
    @Override
    public String toString() {
      return "column " + column + ": expected " + expected + ", found " + found;
    }
  }

  private final String table;
  private final List<Mismatch> mismatches;

  public SchemaMismatchException(String table, String direction, List<Mismatch> mismatches, String hint) {
    super(message(table, direction, mismatches, hint));
    if (mismatches.isEmpty()) {
      throw new IllegalArgumentException("a schema mismatch needs at least one difference");
    }
    this.table = table;
    this.mismatches = List.copyOf(mismatches);
  }

  private static String message(String table, String direction, List<Mismatch> mismatches, String hint) {
    String head = "table " + table + " (" + direction + ") does not match its contract: ";
    String body = mismatches.size() == 1
        ? mismatches.get(0).toString()
        : mismatches.size() + " differences:" + mismatches.stream().map(m -> "\n  - " + m).collect(Collectors.joining());
    return head + body + (hint == null || hint.isBlank() ? "" : "\n" + hint);
  }

  public String table() {
    return table;
  }

  public List<Mismatch> mismatches() {
    return mismatches;
  }
}
