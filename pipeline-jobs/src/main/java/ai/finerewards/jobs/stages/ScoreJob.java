package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.ml.LlmScoreTransformer;
import ai.finerewards.jobs.ml.StageTransformer;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The score stage: each image's distinct part labels, asked of the LLM with the image's prompt.
 * Every distinct (prompt, label) pair of the round is scored once (a distinct Dataset through
 * one mapPartitions), then joined back to the samples, which get their label scores and SAM reward;
 * all computed by {@link LlmScoreTransformer}.
 */
public final class ScoreJob implements StageJob {

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.SCORE, args);
  }

  @Override
  public List<String> modelFamilies(Config config) {
    return List.of("llm");
  }

  @Override
  public Stage stage() {
    return Stage.SCORE;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    return List.of(new Input(Tables.SEGMENTS.name(), round, Stage.writerOf(Tables.SEGMENTS.name())),
        new Input(Tables.PROMPTS.name(), round, Stage.GENERATE.cliName()));
  }

  @Override
  public long expectedRows(List<CommitMarker> inputs) {
    return inputs.isEmpty() ? -1 : inputs.get(0).rowCount();
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    LlmScoreTransformer transformer = new LlmScoreTransformer().setSegmentErrorCol("seg_error").setErrorCol("error");
    transformer.setSettings(StageTransformer.settingsOf(ctx.config(), ModelsConfig.SECTION, ModelCacheConfig.SECTION,
        ScoreConfig.SECTION));
    int round = ctx.round();
    Dataset<Row> segments = ctx.tables().read(Tables.SEGMENTS, round, "segment")
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("parts"), col("error").as("seg_error"));
    Dataset<Row> prompts = ctx.tables().read(Tables.PROMPTS, round, Stage.GENERATE.cliName())
        .select("prompt_id", "prompt");
    // A prompt_id missing from prompts leaves the prompt null: the row gets an error, as before.
    Dataset<Row> input = segments.join(prompts, new String[] {"prompt_id"}, "left");
    Dataset<Row> assembled = transformer.transform(input)
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("label_scores"), col("n_labels"),
            col("sam_reward"), col("no_labels"), col("llm_model_id"), col("error"),
            lit(Timestamp.from(Instant.now())).as("created_at"));
    CommitMarker marker = ctx.tables().overwriteRound(assembled, Tables.LLM_SCORES, round, "score", ctx.fingerprint());
    Row s = ctx.tables().read(Tables.LLM_SCORES, round, "score")
        .selectExpr("count(*)", "coalesce(sum(n_labels), 0)", "count_if(no_labels)", "count(error)", "avg(sam_reward)")
        .first();
    ctx.out().printf("score: %d images, %d (image, label) pairs, %d distinct (prompt, label) questions, "
            + "%d with no labels, %d errors, mean sam_reward %s%n",
        s.getLong(0), s.getLong(1), transformer.questions(input).count(), s.getLong(2), s.getLong(3), s.isNullAt(4) ? "n/a" : String.format("%.4f", s.getDouble(4)));
    return marker;
  }
}
