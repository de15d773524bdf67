package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.score.AssembleScores;
import ai.finerewards.jobs.score.ScorePairs;
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
 * one mapPartitions), then joined back to the samples, which get their label scores and SAM reward.
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
    ScoreConfig config = ScoreConfig.from(PipelineConfigLoader.section(ctx.config(), ScoreConfig.SECTION));
    ModelRuntime runtime = ModelRuntime.from(ctx.config());
    int round = ctx.round();
    Dataset<Row> segments = ctx.tables().read(Tables.SEGMENTS, round, "segment");
    Dataset<Row> prompts = ctx.tables().read(Tables.PROMPTS, round, Stage.GENERATE.cliName())
        .select("prompt_id", "prompt");

    // Distinct labels per image in first-appearance (part) order.
    Dataset<Row> labels = segments.select(col("round"), col("prompt_id"), col("sample_idx"), col("error").as("seg_error"),
        expr("array_distinct(filter(transform(parts, p -> p.label), l -> l IS NOT NULL))").as("labels"));
    Dataset<Row> sampleLabels = labels
        .selectExpr("prompt_id", "sample_idx", "posexplode(labels) AS (label_pos, label)")
        .join(prompts, "prompt_id");
    Dataset<Row> pairs = sampleLabels.select("prompt", "label").distinct();
    Dataset<Row> answers = pairs.mapPartitions(new ScorePairs(runtime, config), ScorePairs.ENCODER);
    Dataset<Row> perSample = sampleLabels.join(answers, new String[] {"prompt", "label"})
        .groupBy("prompt_id", "sample_idx")
        .agg(sort_array(collect_list(struct(col("label_pos"), col("label"), col("p1"), col("p2"), col("p3"),
            col("answer_mass"), col("expected_score"), col("pair_error")))).as("answers"));
    Dataset<Row> assembled = labels.join(perSample, new String[] {"prompt_id", "sample_idx"}, "left")
        .map(new AssembleScores(config, ModelIds.of(runtime.directory("llm")), Timestamp.from(Instant.now())),
            AssembleScores.ENCODER);
    CommitMarker marker = ctx.tables().overwriteRound(assembled, Tables.LLM_SCORES, round, "score", ctx.fingerprint());
    Row s = ctx.tables().read(Tables.LLM_SCORES, round, "score")
        .selectExpr("count(*)", "coalesce(sum(n_labels), 0)", "count_if(no_labels)", "count(error)", "avg(sam_reward)")
        .first();
    ctx.out().printf("score: %d images, %d (image, label) pairs, %d distinct (prompt, label) questions, "
            + "%d with no labels, %d errors, mean sam_reward %s%n",
        s.getLong(0), s.getLong(1), pairs.count(), s.getLong(2), s.getLong(3), s.isNullAt(4) ? "n/a" : String.format("%.4f", s.getDouble(4)));
    return marker;
  }
}
