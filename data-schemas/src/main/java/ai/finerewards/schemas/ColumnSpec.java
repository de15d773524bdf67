package ai.finerewards.schemas;

/**
 * One column of a table contract: its name, logical type, nullability and the words a reader
 * needs (meaning and unit) for the generated schema document.
 */
public record ColumnSpec(String name, ColumnType type, boolean nullable, String doc, String unit) {
  public ColumnSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("column name must not be blank");
    }
  }
}
