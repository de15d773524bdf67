package ai.finerewards.schemas;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The versioned contract of one table (or JSON document): its columns, who writes it and who
 * reads it. Bump {@code version} whenever a column is added, removed, renamed or changes type or
 * meaning; readers refuse data written under another version.
 *
 * @param location where the data lives, relative to the run root, e.g. {@code samples/round=<r>/}
 * @param keyColumns the columns that identify a row (unique within the table)
 * @param partitionColumns directory partition columns ({@code round=<r>}); they are also listed in
 *     {@code columns}, Spark writes them as directories and adds them back on read
 */
public record TableContract(
    String name,
    int version,
    Storage storage,
    String location,
    String doc,
    String writtenBy,
    List<String> readBy,
    List<String> partitionColumns,
    List<String> keyColumns,
    List<ColumnSpec> columns) {

  public TableContract {
    readBy = List.copyOf(readBy);
    partitionColumns = List.copyOf(partitionColumns);
    keyColumns = List.copyOf(keyColumns);
    columns = List.copyOf(columns);
    if (version < 1) {
      throw new IllegalArgumentException("table " + name + ": version must be >= 1, was " + version);
    }
    Set<String> names = new HashSet<>();
    for (ColumnSpec c : columns) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("table " + name + ": column " + c.name() + " listed twice");
      }
    }
    for (String k : keyColumns) {
      ColumnSpec c = columnOrThrow(name, columns, k, "key");
      if (c.nullable()) {
        throw new IllegalArgumentException("table " + name + ": key column " + k + " must not be nullable");
      }
    }
    for (String p : partitionColumns) {
      ColumnSpec c = columnOrThrow(name, columns, p, "partition");
      if (!(c.type() instanceof ColumnType.Primitive)) {
        throw new IllegalArgumentException("table " + name + ": partition column " + p + " must be a primitive");
      }
    }
    if (storage == Storage.JSON && !partitionColumns.isEmpty()) {
      throw new IllegalArgumentException("table " + name + ": a JSON document has no partition columns");
    }
  }

  /** A Parquet table under {@code <name>/round=<r>/} (the original constructor, kept for callers that predate storage). */
  public TableContract(String name, int version, String doc, String writtenBy, List<String> readBy,
      List<String> partitionColumns, List<String> keyColumns, List<ColumnSpec> columns) {
    this(name, version, Storage.PARQUET, name + (partitionColumns.isEmpty() ? "/" : "/round=<r>/"), doc, writtenBy,
        readBy, partitionColumns, keyColumns, columns);
  }

  private static ColumnSpec columnOrThrow(String table, List<ColumnSpec> columns, String name, String what) {
    return columns.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "table " + table + ": " + what + " column " + name + " is not among its columns"));
  }

  public Optional<ColumnSpec> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }

  public boolean isPartitionColumn(String columnName) {
    return partitionColumns.contains(columnName);
  }

  /** The columns stored inside the data files (all columns but the partition columns). */
  public List<ColumnSpec> dataColumns() {
    return columns.stream().filter(c -> !isPartitionColumn(c.name())).toList();
  }

  public List<String> columnNames() {
    return columns.stream().map(ColumnSpec::name).toList();
  }
}
