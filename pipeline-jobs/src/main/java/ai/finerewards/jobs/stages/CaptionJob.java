package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.caption.CaptionSummary;
import ai.finerewards.jobs.ml.CaptionRewardTransformer;
import ai.finerewards.jobs.ml.StageTransformer;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;

/**
 * The caption stage: every sample of the round gets a BLIP-2 greedy caption and the caption reward
 * (CLIP text cosine of prompt and caption), computed by core's CaptionRewardRunner in one
 * {@code mapPartitions}. Undecodable images get an error row and are counted; when their share
 * passes {@code caption.max-error-fraction} the stage fails without committing. The result is
 * persisted so the check and the commit do not caption twice.
 */
public final class CaptionJob implements StageJob {

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.CAPTION, args);
  }

  @Override
  public List<String> modelFamilies(Config config) {
    return List.of("captioner", "clip");
  }

  @Override
  public Stage stage() {
    return Stage.CAPTION;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    return List.of(new Input(Tables.SAMPLES.name(), round, Stage.writerOf(Tables.SAMPLES.name())));
  }

  @Override
  public long expectedRows(List<CommitMarker> inputs) {
    return inputs.isEmpty() ? -1 : inputs.get(0).rowCount(); // one captions row per sample
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    CaptionConfig caption = CaptionConfig.from(PipelineConfigLoader.section(ctx.config(), CaptionConfig.SECTION));
    Dataset<Row> samples = ctx.tables().read(Tables.SAMPLES, ctx.round(), Stage.writerOf(Tables.SAMPLES.name()))
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("prompt"), col("image.bytes").as("image"));
    LongAccumulator promptEmbeddings = ctx.spark().sparkContext().longAccumulator("caption.prompt_embeddings");
    CaptionRewardTransformer transformer = new CaptionRewardTransformer()
        .setErrorCol("error")
        .setPromptEmbeddingsCounter(promptEmbeddings);
    transformer.setSettings(StageTransformer.settingsOf(ctx.config(), ModelsConfig.SECTION, ModelCacheConfig.SECTION, CaptionConfig.SECTION));
    Dataset<Row> captions = transformer.transform(samples)
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("caption"), col("caption_reward"),
            col("captioner_model_id"), col("clip_model_id"), col("error"),
            lit(Timestamp.from(Instant.now())).as("created_at"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row counts = captions.agg(count(lit(1)), count(col("error")), countDistinct(when(col("error").isNull(), col("prompt_id")))).first();
      CaptionSummary summary = new CaptionSummary(counts.getLong(0), counts.getLong(1), counts.getLong(2),
          promptEmbeddings.value(), caption.maxErrorFraction(),
          captions.filter(col("error").isNotNull()).select("prompt_id", "sample_idx", "error").limit(3).collectAsList()
              .stream().map(r -> r.getString(0) + "/" + r.getInt(1) + ": " + r.getString(2)).toList());
      if (caption.tooManyErrors(summary.errors(), summary.samples())) {
        throw new IllegalStateException(summary.failure());
      }
      CommitMarker marker = ctx.tables().overwriteRound(captions, Tables.CAPTIONS, ctx.round(), "caption",
          ctx.fingerprint());
      ctx.out().print(summary.describe());
      return marker;
    } finally {
      captions.unpersist();
    }
  }
}
