package ai.finerewards.jobs.prompts;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.split;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The lines of text files with their exact 1-based line numbers: each file is read whole
 * ({@code wholetext}) and split, so numbering does not depend on how Spark splits files. A prompt
 * file must therefore fit in one row (under 2 GB). A UTF-8 byte order mark is dropped; {@code \r\n}
 * and {@code \n} both end a line; the empty string after a final newline is not a line.
 * Columns: source_file, source_row (long), line.
 */
final class TextLines {

  static final String LINE = "line";

  private TextLines() {}

  static Dataset<Row> read(SparkSession spark, List<String> files) {
    Dataset<Row> whole = spark.read().option("wholetext", true).text(PromptReader.array(files))
        .select(col("_metadata.file_path").as(PromptReader.SOURCE_FILE),
            split(regexp_replace(col("value"), "^\uFEFF", ""), "\r?\n", -1).as("lines"));
    Dataset<Row> exploded = whole.select(col(PromptReader.SOURCE_FILE), size(col("lines")).as("n"),
        posexplode(col("lines")).as(new String[] {"pos", LINE}));
    Column trailing = col("pos").equalTo(col("n").minus(1)).and(col(LINE).equalTo(lit("")));
    return exploded.where(not(trailing))
        .select(col(PromptReader.SOURCE_FILE), col("pos").plus(1).cast("long").as(PromptReader.SOURCE_ROW), col(LINE));
  }
}
