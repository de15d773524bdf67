package ai.finerewards.schemas.spark;

import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType;
import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import ai.finerewards.schemas.TableContract;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Builds rows that fill every column of a contract with a value derived from the row number. */
final class ContractRows {

  private ContractRows() {}

  static List<Row> rows(TableContract contract, int n, int round) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Object[] values = new Object[contract.columns().size()];
      for (int c = 0; c < values.length; c++) {
        ColumnSpec col = contract.columns().get(c);
        values[c] = col.name().equals("round") ? round : value(col.type(), i);
      }
      rows.add(RowFactory.create(values));
    }
    return rows;
  }

  static Object value(ColumnType type, int i) {
    if (type instanceof Primitive p) {
      switch (p) {
        case STRING: return "v" + i;
        case INT: return i;
        case LONG: return 1_000_000_000_000L + i;
        case FLOAT: return 0.25f + i;
        case DOUBLE: return 0.5 + i;
        case BOOLEAN: return i % 2 == 0;
        case BINARY: return ("png" + i).getBytes(StandardCharsets.UTF_8);
        case TIMESTAMP: return new Timestamp(1_764_000_000_000L + i * 1000L);
        default: throw new IllegalStateException();
      }
    }
    if (type instanceof ArrayOf a) {
      return List.of(value(a.element(), i), value(a.element(), i + 1));
    }
    if (type instanceof MapOf m) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("caption", value(m.value(), i));
      map.put("sam", value(m.value(), i + 1));
      return map;
    }
    StructOf s = (StructOf) type;
    return RowFactory.create(s.fields().stream().map(f -> value(f.type(), i)).toArray());
  }
}
