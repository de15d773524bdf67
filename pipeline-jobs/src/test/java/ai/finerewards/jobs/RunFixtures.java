package ai.finerewards.jobs;

import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/** Reward tables of a hand-made round and a CLI runner that captures the console, for stage tests. */
public final class RunFixtures {
  private RunFixtures() {}

  /** What one CLI call printed and returned. */
  public record CliResult(int exitCode, String out, String err) {}

  public static CliResult cli(SparkSession spark, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = FineRewardsCli.run(args, o, e, config -> spark, false);
    }
    return new CliResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** A config file with the run root under {@code dir} and a fast progress line, plus {@code extra} HOCON. */
  public static Path conf(Path dir, String extra) throws IOException {
    Path file = dir.resolve("test.conf");
    Files.writeString(file, "finerewards.run.root = \"" + dir.resolve("run").toUri() + "\"\n"
        + "finerewards.jobs.progress-interval = 100ms\n" + extra + "\n");
    return file;
  }

  /** Commits {@code captions} round {@code round}: rows given as (prompt_id, sample_idx, caption_reward) SQL VALUES. */
  public static void captions(SparkSession spark, RoundTables tables, int round, String values) {
    Dataset<Row> df = spark.sql("SELECT " + round + " AS round, prompt_id, sample_idx, 'a caption' AS caption,"
        + " CAST(caption_reward AS DOUBLE) AS caption_reward, 'blip2-tiny' AS captioner_model_id,"
        + " 'clip-tiny' AS clip_model_id, CAST(NULL AS STRING) AS error, current_timestamp() AS created_at"
        + " FROM VALUES " + values + " AS t(prompt_id, sample_idx, caption_reward)");
    tables.overwriteRound(df, Tables.CAPTIONS, round, "caption", "captions-fp-" + values.hashCode());
  }

  /** Commits {@code llm_scores} round {@code round}: rows given as (prompt_id, sample_idx, sam_reward) SQL VALUES. */
  public static void llmScores(SparkSession spark, RoundTables tables, int round, String values) {
    Dataset<Row> df = spark.sql("SELECT " + round + " AS round, prompt_id, sample_idx, 2 AS n_labels,"
        + " CAST(sam_reward AS DOUBLE) AS sam_reward, false AS no_labels, 'llm-tiny' AS llm_model_id,"
        + " CAST(NULL AS STRING) AS error, current_timestamp() AS created_at"
        + " FROM VALUES " + values + " AS t(prompt_id, sample_idx, sam_reward)")
        .withColumn("label_scores", functions.lit(null).cast(
            SparkSchemas.toDataType(Tables.LLM_SCORES.column("label_scores").orElseThrow().type())));
    tables.overwriteRound(df, Tables.LLM_SCORES, round, "score", "llm-fp-" + values.hashCode());
  }
}
