package ai.finerewards.jobs.io;

import ai.finerewards.schemas.HuggingFaceFeatures;
import ai.finerewards.schemas.TableContract;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
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
