package ai.finerewards.jobs.prompts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import ai.finerewards.core.prompts.PromptInputException;
import ai.finerewards.core.prompts.PromptsConfig;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * CSV or TSV with a header row, RFC 4180 quoting (a quote inside a quoted field is doubled), UTF-8.
 * Read by Spark's CSV source in PERMISSIVE mode: a record with the wrong number of fields lands in
 * the corrupt-record column and is reported. {@code multiLine} lets quoted fields span lines and
 * keeps each file in one split, so the record number is the running position within the file
 * (record 1 = first record after the header). All files must share the header.
 */
final class DelimitedPromptReader implements PromptReader {

  private final String separator;

  DelimitedPromptReader(String separator) {
    this.separator = separator;
  }

  private DataFrameReader reader(SparkSession spark) {
    return spark.read()
        .option("header", true)
        .option("sep", separator)
        .option("quote", "\"")
        .option("escape", "\"")
        .option("multiLine", true)
        .option("encoding", "UTF-8");
  }

  @Override
  public Dataset<Row> read(SparkSession spark, String input, List<String> files, PromptsConfig config) {
    StructType header = reader(spark).csv(PromptReader.array(files)).schema();
    List<String> names = Arrays.asList(header.fieldNames());
    if (!names.contains(config.column())) {
      throw PromptInputException.missingColumn(input, config.column(), names);
    }
    StructType schema = new StructType(Arrays.stream(header.fields())
        .map(f -> new StructField(f.name(), DataTypes.StringType, true, f.metadata()))
        .toArray(StructField[]::new))
        .add(CORRUPT, DataTypes.StringType);
    Dataset<Row> rows = reader(spark)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .option("enforceSchema", false)
        .schema(schema)
        .csv(PromptReader.array(files));
    Column id = names.contains(config.idColumn()) ? col(config.idColumn()) : lit(null).cast("string");
    Dataset<Row> numbered = rows.select(
        col("_metadata.file_path").as(SOURCE_FILE),
        monotonically_increasing_id().as("mid"),
        id.as(PROMPT_ID),
        col(config.column()).as(PROMPT),
        col(CORRUPT).as(UNDECODABLE));
    // Within one split ids are consecutive; a multiLine file is one split: row = id - first id of the file + 1.
    Column first = min(col("mid")).over(Window.partitionBy(col(SOURCE_FILE)));
    return numbered.select(col(SOURCE_FILE), col("mid").minus(first).plus(1).as(SOURCE_ROW),
        col(PROMPT_ID), col(PROMPT), col(UNDECODABLE));
  }
}
