package ai.finerewards.schemas;

import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import java.util.List;

/**
 * The Hugging Face {@code datasets} features of a table's data files, derived from its contract:
 * the value of the Parquet key-value metadata {@value #METADATA_KEY} that {@code Dataset.to_parquet}
 * writes and {@code load_dataset("parquet", ...)} reads ({@code Features.from_arrow_schema}). With it,
 * a column of type {@link Tables#IMAGE} decodes to PIL images with no cast.
 *
 * <p>Only tables with an image column get it ({@link #hasImage}): for the others the features that
 * {@code datasets} infers from the Arrow schema are already right. The features cover the data
 * columns only ({@link TableContract#dataColumns()}): the partition column {@code round} is a
 * directory name, not in the files, and older {@code datasets} releases take the metadata features
 * as the whole schema.
 *
 * <p>Spelling, checked against {@code datasets} 5.2 ({@code requirements/analysis.txt}): a leaf is
 * {@code {"dtype": ..., "_type": "Value"}} with Arrow's type name, a struct is a plain object of its
 * fields, an image is {@code {"_type": "Image"}}. An array is a one-element JSON list
 * {@code [feature]}: every {@code datasets} release reads that as a list feature, whereas
 * {@code "List"} is unknown before 4.0 and {@code "Sequence"} of a struct means a struct of lists
 * there. {@code datasets} has no map feature, so a map column has none here either (a test keeps
 * image tables free of maps).
 */
public final class HuggingFaceFeatures {

  /** The Parquet footer key {@code datasets} reads its features from. */
  public static final String METADATA_KEY = "huggingface";

  private HuggingFaceFeatures() {}

  /** Whether any column of {@code contract}, at any depth, is an {@link Tables#IMAGE}. */
  public static boolean hasImage(TableContract contract) {
    return contract.storage() == Storage.PARQUET && contract.columns().stream().anyMatch(c -> hasImage(c.type()));
  }

  /** Whether {@code type}, at any depth, is an {@link Tables#IMAGE}. */
  public static boolean hasImage(ColumnType type) {
    if (isImage(type)) {
      return true;
    }
    if (type instanceof ArrayOf a) {
      return hasImage(a.element());
    }
    if (type instanceof MapOf m) {
      return hasImage(m.value());
    }
    return type instanceof StructOf s && s.fields().stream().anyMatch(f -> hasImage(f.type()));
  }

  /** The image struct {bytes, path}: the storage of datasets' Image feature. */
  public static boolean isImage(ColumnType type) {
    return Tables.IMAGE.equals(type);
  }

  /**
   * The metadata value {@code {"info": {"features": {...}}}} for the data columns of
   * {@code contract}, in file column order.
   *
   * @throws IllegalArgumentException when a column has no {@code datasets} feature (a map)
   */
  public static String metadataJson(TableContract contract) {
    StringBuilder sb = new StringBuilder("{\"info\": {\"features\": ");
    appendFields(sb, contract.name(), "", contract.dataColumns());
    return sb.append("}}").toString();
  }

  private static void appendFields(StringBuilder sb, String table, String prefix, List<ColumnSpec> fields) {
    sb.append('{');
    for (int i = 0; i < fields.size(); i++) {
      ColumnSpec f = fields.get(i);
      sb.append(i == 0 ? "" : ", ").append(quote(f.name())).append(": ");
      appendFeature(sb, table, prefix + f.name(), f.type());
    }
    sb.append('}');
  }

  private static void appendFeature(StringBuilder sb, String table, String column, ColumnType type) {
    if (isImage(type)) {
      sb.append("{\"_type\": \"Image\"}");
    } else if (type instanceof Primitive p) {
      sb.append("{\"dtype\": ").append(quote(arrowDtype(p))).append(", \"_type\": \"Value\"}");
    } else if (type instanceof ArrayOf a) {
      sb.append('[');
      appendFeature(sb, table, column + "[]", a.element());
      sb.append(']');
    } else if (type instanceof StructOf s) {
      appendFields(sb, table, column + ".", s.fields());
    } else {
      throw new IllegalArgumentException("table " + table + ": column " + column + " is a " + type.ddl()
          + ", which Hugging Face datasets has no feature for; an image table cannot carry it");
    }
  }

  /**
   * Arrow's name of the type pyarrow reads for a Spark-written column. TIMESTAMP: Spark writes its
   * default INT96, which Arrow reads as {@code timestamp[ns]} (no zone).
   */
  static String arrowDtype(Primitive p) {
    return switch (p) {
      case STRING -> "string";
      case INT -> "int32";
      case LONG -> "int64";
      case FLOAT -> "float32";
      case DOUBLE -> "float64";
      case BOOLEAN -> "bool";
      case BINARY -> "binary";
      case TIMESTAMP -> "timestamp[ns]";
    };
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
