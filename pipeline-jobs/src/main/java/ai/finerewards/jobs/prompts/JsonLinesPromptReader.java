package ai.finerewards.jobs.prompts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import ai.finerewards.core.prompts.PromptInputException;
import ai.finerewards.core.prompts.PromptsConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * JSON Lines: one object a line. Lines are parsed with Spark's JSON parser in PERMISSIVE mode;
 * a malformed line lands in the corrupt-record column and is reported with its line number, as is
 * a line holding a JSON scalar or array instead of an object. A
 * scalar id (number or string) is read as its text. A blank line is reported as a blank prompt.
 */
final class JsonLinesPromptReader implements PromptReader {

  @Override
  public Dataset<Row> read(SparkSession spark, String input, List<String> files, PromptsConfig config) {
    // Read twice (schema inference, then parsing) rather than cached: prompt files are small, and a
    // cache here would outlive the call.
    Dataset<Row> lines = TextLines.read(spark, files);
    requirePromptField(spark, input, lines, config.column());

    StructType schema = new StructType()
        .add(config.column(), DataTypes.StringType)
        .add(config.idColumn(), DataTypes.StringType)
        .add(CORRUPT, DataTypes.StringType);
    Column line = col(TextLines.LINE);
    Column parsed = from_json(line, schema, Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT));
    Column blank = trim(line).equalTo(lit(""));
    // A scalar or an array is valid JSON but not a record: undecodable as a prompt, whatever Spark makes of it.
    Column notObject = not(trim(line).startsWith("{"));
    return lines.select(col(SOURCE_FILE), col(SOURCE_ROW), line, parsed.as("j")).select(
        col(SOURCE_FILE), col(SOURCE_ROW),
        col("j").getField(config.idColumn()).as(PROMPT_ID),
        when(blank, line).otherwise(col("j").getField(config.column())).as(PROMPT),
        when(blank, lit(null).cast("string"))
            .when(notObject, line)
            .otherwise(col("j").getField(CORRUPT)).as(UNDECODABLE));
  }

  /** The prompt field must appear in at least one line: otherwise the column name is wrong, not the data. */
  private static void requirePromptField(SparkSession spark, String input, Dataset<Row> lines, String column) {
    StructType inferred = spark.read().json(lines.select(col(TextLines.LINE)).as(Encoders.STRING())).schema();
    if (Arrays.asList(inferred.fieldNames()).contains(column)) {
      return;
    }
    List<String> found = Arrays.stream(inferred.fieldNames()).filter(n -> !n.equals(CORRUPT)).toList();
    throw PromptInputException.missingColumn(input, column, found);
  }
}
