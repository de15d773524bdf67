package ai.finerewards.jobs.ml;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Schema checks shared by the transformers, with errors that name the column, and the one image
 * column format they accept: either encoded image bytes ({@code binary}: PNG, JPEG, anything
 * ImageDecoder reads) or the tables' image struct {@code {bytes: binary, path: string}} (Hugging
 * Face datasets' Image feature, as {@code samples.image} and ImageGenerationTransformer write it).
 */
final class Columns {
  private Columns() {}

  static StructField require(StructType schema, String column, String role, DataType... allowed) {
    StructField field = find(schema, column);
    if (field == null) {
      throw new IllegalArgumentException(role + " column '" + column + "' does not exist (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    if (!Arrays.asList(allowed).contains(field.dataType())) {
      throw new IllegalArgumentException(role + " column '" + column + "' must be of type "
          + Arrays.stream(allowed).map(DataType::simpleString).collect(Collectors.joining(" or "))
          + " but is " + field.dataType().simpleString());
    }
    return field;
  }

  /** Checks an image column: binary, or a struct with a binary field {@code bytes}. */
  static void requireImage(StructType schema, String column) {
    StructField field = find(schema, column);
    if (field == null) {
      throw new IllegalArgumentException("image column '" + column + "' does not exist (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    DataType t = field.dataType();
    boolean ok = t instanceof BinaryType
        || (t instanceof StructType s && find(s, "bytes") != null && find(s, "bytes").dataType() instanceof BinaryType);
    if (!ok) {
      throw new IllegalArgumentException("image column '" + column
          + "' must be binary (encoded image bytes) or struct<bytes: binary, ...> but is " + t.simpleString());
    }
  }

  /** The encoded bytes of an image column's value (either accepted format), or null. */
  static byte[] imageBytes(Row row, int index) {
    if (row.isNullAt(index)) {
      return null;
    }
    Object v = row.get(index);
    if (v instanceof byte[] b) {
      return b;
    }
    Row image = (Row) v;
    int bytes = image.fieldIndex("bytes");
    return image.isNullAt(bytes) ? null : (byte[]) image.get(bytes);
  }

  /** Fails when an output column would overwrite an existing one. */
  static void requireAbsent(StructType schema, List<String> outputs) {
    for (String out : outputs) {
      if (find(schema, out) != null) {
        throw new IllegalArgumentException("output column '" + out + "' already exists; choose another name"
            + " or drop the column first");
      }
    }
  }

  /** {@code schema} followed by {@code added}. */
  static StructType append(StructType schema, List<StructField> added) {
    StructType out = schema;
    for (StructField f : added) {
      out = out.add(f);
    }
    return out;
  }

  static StructField find(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  static final DataType STRING = DataTypes.StringType;
  static final DataType INT = DataTypes.IntegerType;
}
