package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.ml.SegmentTransformer;
import ai.finerewards.jobs.ml.StageTransformer;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The segment stage: every sample image of the round through SAM automatic masks and CLIP part
 * labels (core's ImageSegmenter, one mapPartitions, through
 * {@link SegmentTransformer}), committed as {@code segments}.
 */
public final class SegmentJob implements StageJob {

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.SEGMENT, args);
  }

  @Override
  public List<String> modelFamilies(Config config) {
    return List.of("segmenter", "clip");
  }

  @Override
  public Stage stage() {
    return Stage.SEGMENT;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    return List.of(new Input(Tables.SAMPLES.name(), round, Stage.writerOf(Tables.SAMPLES.name())));
  }

  @Override
  public long expectedRows(List<CommitMarker> inputs) {
    return inputs.isEmpty() ? -1 : inputs.get(0).rowCount();
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    SegmentTransformer transformer = new SegmentTransformer().setErrorCol("error");
    transformer.setSettings(StageTransformer.settingsOf(ctx.config(), ModelsConfig.SECTION, ModelCacheConfig.SECTION,
        SegmentConfig.SECTION));
    Dataset<Row> samples = ctx.tables().read(Tables.SAMPLES, ctx.round(), Stage.writerOf(Tables.SAMPLES.name()))
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("image.bytes").as("image"));
    Dataset<Row> segments = transformer.transform(samples)
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("parts"), col("n_parts"),
            col("segmenter_model_id"), col("clip_model_id"), col("label_vocabulary_id"), col("error"),
            lit(Timestamp.from(Instant.now())).as("created_at"));
    CommitMarker marker = ctx.tables().overwriteRound(segments, Tables.SEGMENTS, ctx.round(), "segment", ctx.fingerprint());
    Row summary = ctx.tables().read(Tables.SEGMENTS, ctx.round(), "segment")
        .selectExpr("count(*)", "coalesce(sum(n_parts), 0)",
            "coalesce(sum(size(filter(coalesce(parts, array()), p -> p.label IS NOT NULL))), 0)",
            "count(error)")
        .first();
    ctx.out().printf("segment: %d images, %d parts, %d labelled, %d errors%n",
        summary.getLong(0), summary.getLong(1), summary.getLong(2), summary.getLong(3));
    return marker;
  }
}
