package ai.finerewards.schemas.spark;

import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType;
import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import ai.finerewards.schemas.Storage;
import ai.finerewards.schemas.TableContract;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Spark StructTypes built from the table contracts, and the one call a writer makes before
 * writing: {@link #conform}.
 *
 * <p>Versioning: every top-level column of {@link #toStructType} carries the metadata
 * {@value #TABLE_KEY} (table name) and {@value #VERSION_KEY} (contract version, a long), plus
 * {@code comment} (its meaning, shown by {@code DESCRIBE}). Spark stores the schema with its
 * metadata in the Parquet footer, so it survives a write and read; {@link SchemaValidator} checks
 * it on read. The metadata sits on each column rather than on a table-level object because a
 * StructType has no table-level metadata and Parquet files carry only the Spark schema.
 */
public final class SparkSchemas {

  public static final String TABLE_KEY = "finerewards.table";
  public static final String VERSION_KEY = "finerewards.version";
  public static final String COMMENT_KEY = "comment";

  private SparkSchemas() {}

  /** All columns of {@code contract}, partition columns included, in contract order. */
  public static StructType toStructType(TableContract contract) {
    requireParquet(contract);
    List<StructField> fields = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      fields.add(new StructField(c.name(), toDataType(c.type()), c.nullable(), columnMetadata(contract, c)));
    }
    return new StructType(fields.toArray(new StructField[0]));
  }

  /** The Spark type of a logical type. Nested fields carry no metadata. */
  public static DataType toDataType(ColumnType type) {
    if (type instanceof Primitive p) {
      switch (p) {
        case STRING: return DataTypes.StringType;
        case INT: return DataTypes.IntegerType;
        case LONG: return DataTypes.LongType;
        case FLOAT: return DataTypes.FloatType;
        case DOUBLE: return DataTypes.DoubleType;
        case BOOLEAN: return DataTypes.BooleanType;
        case BINARY: return DataTypes.BinaryType;
        case TIMESTAMP: return DataTypes.TimestampType;
        default: throw new IllegalStateException("unmapped primitive " + p);
      }
    }
    if (type instanceof ArrayOf a) {
      return DataTypes.createArrayType(toDataType(a.element()), a.containsNull());
    }
    if (type instanceof MapOf m) {
      return DataTypes.createMapType(DataTypes.StringType, toDataType(m.value()), m.valueContainsNull());
    }
    StructOf s = (StructOf) type;
    List<StructField> fields = new ArrayList<>();
    for (ColumnSpec f : s.fields()) {
      fields.add(DataTypes.createStructField(f.name(), toDataType(f.type()), f.nullable()));
    }
    return DataTypes.createStructType(fields);
  }

  /** The metadata every top-level column of {@code contract} carries. */
  public static Metadata columnMetadata(TableContract contract, ColumnSpec column) {
    return new MetadataBuilder()
        .putString(TABLE_KEY, contract.name())
        .putLong(VERSION_KEY, contract.version())
        .putString(COMMENT_KEY, column.doc())
        .build();
  }

  /**
   * Makes {@code data} ready to write as {@code contract}: validates it
   * ({@link SchemaValidator#validateForWrite}: missing, mistyped or unknown columns fail at once),
   * selects the columns in contract order with the contract's metadata, and adds a run-time check
   * that fails the write, naming table and column, when a non-nullable top-level column holds a null
   * (Spark often marks computed columns nullable, so the schema alone cannot tell).
   */
  public static Dataset<Row> conform(Dataset<Row> data, TableContract contract) {
    SchemaValidator.validateForWrite(contract, data.schema());
    StructType actual = data.schema();
    List<Column> cols = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      Column col = data.col(c.name());
      boolean mayBeNull = actual.apply(c.name()).nullable();
      if (!c.nullable() && mayBeNull) {
        String msg = "table " + contract.name() + " (write): column " + c.name()
            + ": expected no nulls (the contract says not null), found a null";
        col = functions.when(col.isNull(), functions.raise_error(functions.lit(msg))).otherwise(col);
      }
      cols.add(col.as(c.name(), columnMetadata(contract, c)));
    }
    return data.select(cols.toArray(new Column[0]));
  }

  private static void requireParquet(TableContract contract) {
    if (contract.storage() != Storage.PARQUET) {
      throw new IllegalArgumentException("table " + contract.name() + " is a " + contract.storage()
          + " document, not a Spark table; check it with JsonDocumentValidator");
    }
  }
}
