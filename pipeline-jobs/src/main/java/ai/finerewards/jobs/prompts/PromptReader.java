package ai.finerewards.jobs.prompts;

import ai.finerewards.core.prompts.PromptsConfig;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads prompt files of one format into raw records with the columns {@link #COLUMNS}: the file,
 * the 1-based line or row in it, the given id and prompt (null when absent) and, for a record that
 * could not be decoded, its raw text in {@code undecodable}. Nothing is dropped here: every record
 * reaches the validator, which counts and reports.
 */
interface PromptReader {

  String SOURCE_FILE = "source_file";
  String SOURCE_ROW = "source_row";
  String PROMPT_ID = "prompt_id";
  String PROMPT = "prompt";
  String UNDECODABLE = "undecodable";
  List<String> COLUMNS = List.of(SOURCE_FILE, SOURCE_ROW, PROMPT_ID, PROMPT, UNDECODABLE);

  /** Spark's name for the column that receives malformed records in PERMISSIVE mode. */
  String CORRUPT = "_corrupt_record";

  /**
   * @param input how the input is named in errors (the configured path)
   * @param files the data files, all of this reader's format
   */
  Dataset<Row> read(SparkSession spark, String input, List<String> files, PromptsConfig config);

  static String[] array(List<String> files) {
    return files.toArray(new String[0]);
  }
}
