package ai.finerewards.schemas.spark;

import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType;
import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import ai.finerewards.schemas.SchemaMismatchException;
import ai.finerewards.schemas.SchemaMismatchException.Mismatch;
import ai.finerewards.schemas.Storage;
import ai.finerewards.schemas.TableContract;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Checks a Spark schema against a table contract and throws {@link SchemaMismatchException}
 * listing every difference (table, column, expected, found).
 *
 * <ul>
 *   <li>Types are compared structurally, nested fields by name; field metadata and nullability are
 *       ignored here (Spark reads every Parquet column as nullable; {@link SparkSchemas#conform}
 *       enforces non-null top-level columns on write at run time; nested nullability is
 *       documentation only).
 *   <li>Write: every contract column must be present, nothing else (a table holds exactly its
 *       contract; a stray debug or join column fails). Version metadata is not required, because
 *       {@code conform} stamps it.
 *   <li>Read: every contract column must be present; extra columns (and extra nested fields) are
 *       tolerated so a reader can select what it needs; every data column must carry this
 *       contract's table name and version; the partition column must be there (partition
 *       discovery) with the right type.
 * </ul>
 */
public final class SchemaValidator {

  private SchemaValidator() {}

  public static void validateForWrite(TableContract contract, StructType actual) {
    requireParquet(contract);
    List<Mismatch> out = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      Optional<StructField> f = field(actual, c.name());
      if (f.isEmpty()) {
        out.add(missing(c, actual));
      } else {
        compare(c.type(), f.get().dataType(), c.name(), false, out);
      }
    }
    for (StructField f : actual.fields()) {
      if (contract.column(f.name()).isEmpty()) {
        out.add(new Mismatch(f.name(), "no such column (a table holds exactly its contract's columns: "
            + contract.columnNames() + ")", f.dataType().simpleString()));
      }
    }
    throwIfAny(contract, "write", out, "fix the stage that writes " + contract.name() + " (" + contract.writtenBy()
        + "), or change the contract in Tables and bump its version");
  }

  public static void validateForRead(TableContract contract, StructType actual) {
    requireParquet(contract);
    List<Mismatch> out = new ArrayList<>();
    List<Mismatch> versions = new ArrayList<>();
    boolean partitionMissing = false;
    for (ColumnSpec c : contract.columns()) {
      Optional<StructField> f = field(actual, c.name());
      if (f.isEmpty()) {
        out.add(missing(c, actual));
        partitionMissing |= contract.isPartitionColumn(c.name());
        continue;
      }
      compare(c.type(), f.get().dataType(), c.name(), true, out);
      if (!contract.isPartitionColumn(c.name())) {
        checkVersion(contract, c.name(), f.get().metadata()).ifPresent(versions::add);
      }
    }
    out.addAll(collapse(versions));
    String hint = "the data was written by stage " + contract.writtenBy() + "; re-run it for this round with this "
        + "pipeline version. Contract: data-schemas/docs/" + contract.name() + ".md";
    if (partitionMissing) {
      hint = "partition columns " + contract.partitionColumns() + " come from the directories <table>/round=<r>/: "
          + "read the table directory, or set option basePath=<root>/" + contract.name()
          + " when reading one partition directory.\n" + hint;
    }
    throwIfAny(contract, "read", out, hint);
  }

  private static Optional<Mismatch> checkVersion(TableContract contract, String column, Metadata md) {
    String expected = "contract version " + contract.version() + " of table " + contract.name();
    if (!md.contains(SparkSchemas.VERSION_KEY) || !md.contains(SparkSchemas.TABLE_KEY)) {
      return Optional.of(new Mismatch(column, expected, "no contract version metadata (not written through SparkSchemas.conform)"));
    }
    String table = md.getString(SparkSchemas.TABLE_KEY);
    long version = md.getLong(SparkSchemas.VERSION_KEY);
    if (!table.equals(contract.name())) {
      return Optional.of(new Mismatch(column, expected, "a column of table " + table + " (version " + version + ")"));
    }
    if (version != contract.version()) {
      return Optional.of(new Mismatch(column, expected, "version " + version));
    }
    return Optional.empty();
  }

  /** Version problems usually affect every column alike: report them once, naming the columns. */
  private static List<Mismatch> collapse(List<Mismatch> versions) {
    if (versions.size() <= 1 || versions.stream().map(Mismatch::found).distinct().count() > 1) {
      return versions;
    }
    Mismatch first = versions.get(0);
    String cols = versions.stream().map(Mismatch::column).toList().toString();
    return List.of(new Mismatch(cols, first.expected(), first.found()));
  }

  private static void compare(ColumnType expected, DataType actual, String path, boolean tolerateExtra, List<Mismatch> out) {
    if (expected instanceof Primitive p) {
      DataType want = SparkSchemas.toDataType(p);
      if (!want.equals(actual)) {
        out.add(new Mismatch(path, p.ddl(), actual.simpleString()));
      }
    } else if (expected instanceof ArrayOf a) {
      if (actual instanceof ArrayType at) {
        compare(a.element(), at.elementType(), path + "[]", tolerateExtra, out);
      } else {
        out.add(new Mismatch(path, a.ddl(), actual.simpleString()));
      }
    } else if (expected instanceof MapOf m) {
      if (actual instanceof MapType mt && mt.keyType().equals(DataTypes.StringType)) {
        compare(m.value(), mt.valueType(), path + "{}", tolerateExtra, out);
      } else {
        out.add(new Mismatch(path, m.ddl(), actual.simpleString()));
      }
    } else if (expected instanceof StructOf s) {
      if (!(actual instanceof StructType st)) {
        out.add(new Mismatch(path, s.ddl(), actual.simpleString()));
        return;
      }
      for (ColumnSpec f : s.fields()) {
        Optional<StructField> af = field(st, f.name());
        if (af.isEmpty()) {
          out.add(new Mismatch(path + "." + f.name(), f.type().ddl(), "no such field" + caseHint(st, f.name())));
        } else {
          compare(f.type(), af.get().dataType(), path + "." + f.name(), tolerateExtra, out);
        }
      }
      if (!tolerateExtra) {
        for (StructField af : st.fields()) {
          if (s.fields().stream().noneMatch(f -> f.name().equals(af.name()))) {
            out.add(new Mismatch(path + "." + af.name(), "no such field", af.dataType().simpleString()));
          }
        }
      }
    }
  }

  private static Mismatch missing(ColumnSpec c, StructType actual) {
    return new Mismatch(c.name(), c.type().ddl() + (c.nullable() ? "" : " not null"),
        "no such column" + caseHint(actual, c.name()) + " (columns found: " + Arrays.toString(actual.fieldNames()) + ")");
  }

  private static String caseHint(StructType st, String name) {
    return Arrays.stream(st.fieldNames())
        .filter(n -> n.equalsIgnoreCase(name))
        .findFirst()
        .map(n -> "; a field named " + n + " differs only in case")
        .orElse("");
  }

  private static Optional<StructField> field(StructType st, String name) {
    return Arrays.stream(st.fields()).filter(f -> f.name().equals(name)).findFirst();
  }

  private static void throwIfAny(TableContract contract, String direction, List<Mismatch> out, String hint) {
    if (!out.isEmpty()) {
      throw new SchemaMismatchException(contract.name(), direction, out, hint);
    }
  }

  private static void requireParquet(TableContract contract) {
    if (contract.storage() != Storage.PARQUET) {
      throw new IllegalArgumentException("table " + contract.name() + " is a JSON document; check it with JsonDocumentValidator");
    }
  }
}
