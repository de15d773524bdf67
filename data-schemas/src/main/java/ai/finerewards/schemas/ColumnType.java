package ai.finerewards.schemas;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Spark-free logical column types. {@code pipeline-core} sees these; only the Spark adapter
 * ({@code ai.finerewards.schemas.spark.SparkSchemas}) maps them to Spark's DataTypes.
 */
public sealed interface ColumnType {

  /**
   * The type in Spark SQL DDL spelling (what {@code DESCRIBE} and DuckDB users read), e.g.
   * {@code array<struct<label:string,p1:double>>}. Used in documents and error messages.
   */
  String ddl();

  /** Leaf types. TIMESTAMP is an instant (Spark TimestampType, UTC in Parquet). */
  enum Primitive implements ColumnType {
    STRING("string"),
    INT("int"),
    LONG("bigint"),
    FLOAT("float"),
    DOUBLE("double"),
    BOOLEAN("boolean"),
    BINARY("binary"),
    TIMESTAMP("timestamp");

    private final String ddl;

    Primitive(String ddl) {
      this.ddl = ddl;
    }

    @Override
    public String ddl() {
      return ddl;
    }
  }

  /** An array of {@code element}; {@code containsNull} says whether elements may be null. */
  record ArrayOf(ColumnType element, boolean containsNull) implements ColumnType {
    @Override
    public String ddl() {
      return "array<" + element.ddl() + ">";
    }
  }

  /** A map from string keys to {@code value}; {@code valueContainsNull} says whether values may be null. */
  record MapOf(ColumnType value, boolean valueContainsNull) implements ColumnType {
    /** Values may be null. */
    public MapOf(ColumnType value) {
      this(value, true);
    }

    @Override
    public String ddl() {
      return "map<string," + value.ddl() + ">";
    }
  }

  /** A nested struct of named fields. */
  record StructOf(List<ColumnSpec> fields) implements ColumnType {
    public StructOf {
      fields = List.copyOf(fields);
      if (fields.isEmpty()) {
        throw new IllegalArgumentException("a struct needs at least one field");
      }
    }

    @Override
    public String ddl() {
      return fields.stream()
          .map(f -> f.name() + ":" + f.type().ddl())
          .collect(Collectors.joining(",", "struct<", ">"));
    }
  }
}
