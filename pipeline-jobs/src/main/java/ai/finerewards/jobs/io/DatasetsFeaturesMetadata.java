package ai.finerewards.jobs.io;

import ai.finerewards.schemas.HuggingFaceFeatures;
import ai.finerewards.schemas.TableContract;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Gives the data files of a table with an image column the Hugging Face {@code datasets} features
 * of its contract ({@link HuggingFaceFeatures}), so {@code load_dataset("parquet", ...)} decodes the
 * images as PIL images with no cast. One Spark task per file rewrites its footer
 * ({@link ParquetFooterMetadata}): image files are the large ones, and the copy stays on the
 * executors instead of passing every byte through the driver.
 */
public final class DatasetsFeaturesMetadata {
  private DatasetsFeaturesMetadata() {}

  /**
   * {@code data} (already conformed to {@code contract}) as it must be written for {@code datasets}
   * to honour the features: every column that holds an image written as nullable. {@code datasets}
   * uses a feature from the metadata only when its Arrow field equals the file's field, nullability
   * included, and a feature's field is always nullable; Spark writes a non-nullable column as a
   * REQUIRED Parquet field (not null in Arrow), so the image column would silently stay a plain
   * struct. The contract's non-null rule is still enforced by {@code SparkSchemas.conform}'s check at
   * write time; readers never relied on it (Spark reads every Parquet column as nullable).
   *
   * <p>The rows pass through an RDD with the relaxed schema: {@code Dataset.to} with a nullable
   * schema still wrote a REQUIRED field (tried on Spark 3.5), and a projection such as
   * {@code when(isNotNull(c), c)} is folded back to {@code c} by the optimizer. Apply it before
   * {@code observe}: the observed metrics must sit in the plan that the write runs.
   */
  public static Dataset<Row> forWrite(Dataset<Row> data, TableContract contract) {
    if (!HuggingFaceFeatures.hasImage(contract)) {
      return data;
    }
    StructField[] fields = data.schema().fields().clone();
    for (int i = 0; i < fields.length; i++) {
      StructField f = fields[i];
      boolean image = contract.column(f.name()).map(c -> HuggingFaceFeatures.hasImage(c.type())).orElse(false);
      if (image) {
        fields[i] = new StructField(f.name(), nullable(f.dataType()), true, f.metadata());
      }
    }
    return data.sparkSession().createDataFrame(data.javaRDD(), new StructType(fields));
  }

  /** {@code type} with every nested field, element and value nullable. */
  private static DataType nullable(DataType type) {
    if (type instanceof StructType s) {
      StructField[] fields = s.fields().clone();
      for (int i = 0; i < fields.length; i++) {
        fields[i] = new StructField(fields[i].name(), nullable(fields[i].dataType()), true, fields[i].metadata());
      }
      return new StructType(fields);
    }
    if (type instanceof ArrayType a) {
      return new ArrayType(nullable(a.elementType()), true);
    }
    if (type instanceof MapType m) {
      return new MapType(m.keyType(), nullable(m.valueType()), true);
    }
    return type;
  }

  /** Adds the metadata to {@code files} when {@code contract} has an image column; otherwise nothing. */
  public static void addIfImageTable(SparkSession spark, TableContract contract, List<String> files) {
    if (!HuggingFaceFeatures.hasImage(contract) || files.isEmpty()) {
      return;
    }
    Map<String, String> extra = Map.of(HuggingFaceFeatures.METADATA_KEY, HuggingFaceFeatures.metadataJson(contract));
    SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(files, files.size())
        .foreach(file -> ParquetFooterMetadata.add(new Path(file), conf.value(), extra));
  }
}
