package ai.finerewards.schemas;

import java.util.List;
import java.util.Optional;

/**
 * The versioned contract of one table: its columns, who writes it and who reads it. Bump
 * {@code version} whenever a column is added, removed, renamed or changes type.
 */
public record TableContract(
    String name,
    int version,
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
  }

  public Optional<ColumnSpec> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }
}
