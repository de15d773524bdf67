package ai.finerewards.jobs.io;

import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType;
import ai.finerewards.schemas.TableContract;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Checks a Dataset against a table contract before it is written. A stand-in until data-schemas'
 * {@code SchemaValidator} / {@code SparkSchemas.conform} is on main; the messages follow the same
 * shape: table, column, expected, found. Nullability is enforced at run time (Spark marks most
 * computed columns nullable, so the schema alone cannot tell).
 */
public final class ContractCheck {
  private ContractCheck() {}

  /** Validates {@code data} and returns it with the contract's columns in contract order. */
  public static Dataset<Row> conform(Dataset<Row> data, TableContract contract) {
    StructType schema = data.schema();
    List<String> problems = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      String expected = toDataType(c.type()).catalogString();
      StructField f = field(schema, c.name());
      if (f == null) {
        problems.add("column " + c.name() + ": expected " + expected + ", found no such column");
      } else if (!f.dataType().catalogString().equals(expected)) {
        problems.add("column " + c.name() + ": expected " + expected + ", found " + f.dataType().catalogString());
      }
    }
    for (StructField f : schema.fields()) {
      if (contract.column(f.name()).isEmpty()) {
        problems.add("column " + f.name() + ": not in the contract (a table holds exactly its contract's columns)");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("table " + contract.name() + " v" + contract.version()
          + " (write): " + String.join("; ", problems));
    }
    List<Column> cols = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      Column col = data.col(c.name());
      if (!c.nullable() && schema.apply(c.name()).nullable()) {
        String msg = "table " + contract.name() + " (write): column " + c.name() + ": expected no nulls, found a null";
        col = functions.when(col.isNull(), functions.raise_error(functions.lit(msg))).otherwise(col);
      }
      cols.add(col.as(c.name()));
    }
    return data.select(cols.toArray(new Column[0]));
  }

  private static StructField field(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The Spark schema of a contract's columns. */
  public static StructType structType(TableContract contract) {
    List<StructField> fields = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      fields.add(DataTypes.createStructField(c.name(), toDataType(c.type()), c.nullable()));
    }
    return DataTypes.createStructType(fields);
  }

  static DataType toDataType(ColumnType type) {
    if (type instanceof ColumnType.Primitive p) {
      return switch (p) {
        case STRING -> DataTypes.StringType;
        case INT -> DataTypes.IntegerType;
        case LONG -> DataTypes.LongType;
        case FLOAT -> DataTypes.FloatType;
        case DOUBLE -> DataTypes.DoubleType;
        case BOOLEAN -> DataTypes.BooleanType;
        case BINARY -> DataTypes.BinaryType;
        case TIMESTAMP -> DataTypes.TimestampType;
      };
    } else if (type instanceof ColumnType.ArrayOf a) {
      return DataTypes.createArrayType(toDataType(a.element()), a.containsNull());
    } else if (type instanceof ColumnType.MapOf m) {
      return DataTypes.createMapType(DataTypes.StringType, toDataType(m.value()), true);
    } else if (type instanceof ColumnType.StructOf s) {
      List<StructField> fields = new ArrayList<>();
      for (ColumnSpec c : s.fields()) {
        fields.add(DataTypes.createStructField(c.name(), toDataType(c.type()), c.nullable()));
      }
      return DataTypes.createStructType(fields);
    }
    throw new IllegalArgumentException("unknown column type " + type);
  }
}
