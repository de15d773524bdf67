package ai.finerewards.jobs.prompts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ai.finerewards.core.prompts.PromptsConfig;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Plain text, one prompt a line; ids are always derived. Bytes that are not UTF-8 show as U+FFFD and are reported. */
final class TextPromptReader implements PromptReader {

  @Override
  public Dataset<Row> read(SparkSession spark, String input, List<String> files, PromptsConfig config) {
    return TextLines.read(spark, files).select(
        col(SOURCE_FILE), col(SOURCE_ROW),
        lit(null).cast("string").as(PROMPT_ID),
        col(TextLines.LINE).as(PROMPT),
        lit(null).cast("string").as(UNDECODABLE));
  }
}
