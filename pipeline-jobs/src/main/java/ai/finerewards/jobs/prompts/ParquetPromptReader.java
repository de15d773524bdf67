package ai.finerewards.jobs.prompts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ai.finerewards.core.prompts.PromptInputException;
import ai.finerewards.core.prompts.PromptsConfig;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Parquet: the prompt column must be a string; the id column may be a string or an integer (read
 * as its decimal text). The row number is the row's position in its file
 * ({@code _metadata.row_index} + 1), exact even when Spark splits the file.
 */
final class ParquetPromptReader implements PromptReader {

  @Override
  public Dataset<Row> read(SparkSession spark, String input, List<String> files, PromptsConfig config) {
    Dataset<Row> data = spark.read().parquet(PromptReader.array(files));
    List<String> names = Arrays.asList(data.schema().fieldNames());
    if (!names.contains(config.column())) {
      throw PromptInputException.missingColumn(input, config.column(), names);
    }
    DataType promptType = data.schema().apply(config.column()).dataType();
    if (!promptType.equals(DataTypes.StringType)) {
      throw new PromptInputException("prompt input " + input + ": column '" + config.column()
          + "' (finerewards.prompts.column) has type " + promptType.simpleString() + ", expected string");
    }
    Column id = lit(null).cast("string");
    if (names.contains(config.idColumn())) {
      DataType idType = data.schema().apply(config.idColumn()).dataType();
      if (!(idType.equals(DataTypes.StringType) || idType.equals(DataTypes.IntegerType)
          || idType.equals(DataTypes.LongType) || idType.equals(DataTypes.ShortType))) {
        throw new PromptInputException("prompt input " + input + ": column '" + config.idColumn()
            + "' (finerewards.prompts.id-column) has type " + idType.simpleString() + ", expected string or integer");
      }
      id = col(config.idColumn()).cast("string");
    }
    return data.select(
        col("_metadata.file_path").as(SOURCE_FILE),
        col("_metadata.row_index").plus(1).cast("long").as(SOURCE_ROW),
        id.as(PROMPT_ID),
        col(config.column()).as(PROMPT),
        lit(null).cast("string").as(UNDECODABLE));
  }
}
