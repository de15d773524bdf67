package ai.finerewards.schemas;

import java.util.List;

/**
 * Spark-free logical column types. {@code pipeline-core} sees these; only the Spark adapter
 * ({@code ai.finerewards.schemas.spark.SparkSchemas}) maps them to Spark's DataTypes.
 */
public sealed interface ColumnType {

  /** Leaf types. */
  enum Primitive implements ColumnType {
    STRING, INT, LONG, FLOAT, DOUBLE, BOOLEAN, BINARY, TIMESTAMP
  }

  /** An array of {@code element}; {@code containsNull} says whether elements may be null. */
  record ArrayOf(ColumnType element, boolean containsNull) implements ColumnType {}

  /** A map from string keys to {@code value}. */
  record MapOf(ColumnType value) implements ColumnType {}

  /** A nested struct of named fields. */
  record StructOf(List<ColumnSpec> fields) implements ColumnType {
    public StructOf {
      fields = List.copyOf(fields);
    }
  }
}
