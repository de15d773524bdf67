package ai.finerewards.jobs.stages;

import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.core.train.TrainConfig;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.train.TrainPartition;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * The train stage: the selected rows of {@code ranked} for the round (and
 * {@code train.history-rounds} earlier rounds) joined with {@code samples} for prompt and image,
 * streamed in key order into one training task (core's TrainingRun), which publishes
 * {@code checkpoints/round=<r>/}; the per-step metrics are committed as {@code train_metrics}.
 */
public final class TrainJob implements StageJob {
  private static final List<String> KEY = List.of("round", "prompt_id", "sample_idx");

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.TRAIN, args);
  }

  @Override
  public Stage stage() {
    return Stage.TRAIN;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    List<Input> inputs = new ArrayList<>();
    for (int r : trainConfig(config).dataRounds(round)) {
      inputs.add(new Input(Tables.RANKED.name(), r, "rank"));
      inputs.add(new Input(Tables.SAMPLES.name(), r, "generate"));
    }
    if (round > 0 && trainConfig(config).continueFromPrevious()) {
      // The checkpoint training continues from: a retrained round r-1 retrains round r.
      inputs.add(Input.optional(CheckpointStore.TABLE, round - 1, "train"));
    }
    return inputs;
  }

  @Override
  public List<String> extraOutputs() {
    return List.of(CheckpointStore.TABLE);
  }

  @Override
  public List<String> modelFamilies(Config config) {
    return List.of("diffusion");
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    TrainConfig train = trainConfig(ctx.config());
    List<Integer> rounds = train.dataRounds(ctx.round());
    Dataset<Row> selected = null;
    Dataset<Row> samples = null;
    for (int r : rounds) {
      Dataset<Row> s = ctx.tables().read(Tables.RANKED, r, "rank")
          .filter(functions.col("selected")).select("round", "prompt_id", "sample_idx");
      Dataset<Row> img = ctx.tables().read(Tables.SAMPLES, r, "generate")
          .select(functions.col("round"), functions.col("prompt_id"), functions.col("sample_idx"),
              functions.col("prompt"), functions.col("image.bytes").as("image_bytes"));
      selected = selected == null ? s : selected.unionByName(s);
      samples = samples == null ? img : samples.unionByName(img);
    }
    Dataset<Row> joined = selected.join(samples,
        scala.collection.JavaConverters.asScalaBuffer(KEY).toSeq(), "left");
    checkInput(joined, rounds);
    ctx.spark().sparkContext().setJobDescription("train round " + ctx.round() + ": LoRA fine-tuning");
    StructType schema = SparkSchemas.toStructType(Tables.TRAIN_METRICS);
    List<Row> metrics = joined.repartition(1)
        .sortWithinPartitions(KEY.get(0), KEY.get(1), KEY.get(2))
        .mapPartitions(new TrainPartition(train, ModelRuntime.from(ctx.config()),
            ctx.tables().store().root().toString(), ctx.round(), ctx.fingerprint()), Encoders.row(schema))
        .collectAsList(); // one small row per optimiser step; training runs exactly once
    CommitMarker marker = ctx.tables().overwriteRound(ctx.spark().createDataFrame(metrics, schema),
        Tables.TRAIN_METRICS, ctx.round(), "train", ctx.fingerprint());
    Row last = metrics.get(metrics.size() - 1);
    ctx.out().printf(Locale.ROOT, "train: %d steps on rounds %s, final loss %.6f, checkpoint %s%n",
        metrics.size(), rounds, last.getDouble(2), last.getString(8));
    return marker;
  }

  /** Fails clearly when nothing is selected or a selected sample has no image. */
  private static void checkInput(Dataset<Row> joined, List<Integer> rounds) {
    Row counts = joined.agg(functions.count(functions.lit(1)),
        functions.sum(functions.when(functions.col("image_bytes").isNull(), 1).otherwise(0)))
        .first();
    if (counts.getLong(0) == 0) {
      throw new IllegalStateException("table ranked has no selected rows in round(s) " + rounds
          + ": nothing to train on (check finerewards.rank keep-per-prompt / global-top-fraction"
          + " and that the rewards are present)");
    }
    if (!counts.isNullAt(1) && counts.getLong(1) > 0) {
      List<String> keys = joined.filter(functions.col("image_bytes").isNull()).limit(3)
          .collectAsList().stream()
          .map(r -> "round=" + r.getInt(0) + "/prompt_id=" + r.getString(1) + "/sample_idx=" + r.getInt(2))
          .toList();
      throw new IllegalStateException(counts.getLong(1) + " selected row(s) of table ranked have no"
          + " image in table samples (column image.bytes), e.g. " + keys);
    }
  }

  private static TrainConfig trainConfig(Config config) {
    return TrainConfig.from(config.getConfig("finerewards." + TrainConfig.SECTION));
  }
}
