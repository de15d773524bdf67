package ai.finerewards.schemas;

/**
 * One column (or nested struct field) of a table contract: its name, logical type, nullability and
 * the words a reader needs (meaning and unit) for the generated schema document. {@code unit} is
 * empty when the value has no unit (ids, text). Every column of {@link Tables} has a doc (a test
 * checks it).
 */
public record ColumnSpec(String name, ColumnType type, boolean nullable, String doc, String unit) {
  public ColumnSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("column name must not be blank");
    }
    if (type == null) {
      throw new IllegalArgumentException("column " + name + " needs a type");
    }
    doc = doc == null ? "" : doc;
    unit = unit == null ? "" : unit;
  }

  /** A non-null column. */
  public static ColumnSpec required(String name, ColumnType type, String doc, String unit) {
    return new ColumnSpec(name, type, false, doc, unit);
  }

  /** A column that may be null; the doc should say when it is. */
  public static ColumnSpec optional(String name, ColumnType type, String doc, String unit) {
    return new ColumnSpec(name, type, true, doc, unit);
  }
}
