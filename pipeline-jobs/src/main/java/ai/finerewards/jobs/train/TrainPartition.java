package ai.finerewards.jobs.train;

import ai.djl.Device;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.core.train.ExampleSpool;
import ai.finerewards.core.train.LoraLayout;
import ai.finerewards.core.train.LoraTrainer;
import ai.finerewards.core.clip.ClipTextTokenizer;
import ai.finerewards.core.train.SeededNoise;
import ai.finerewards.core.train.StepMetrics;
import ai.finerewards.core.train.TrainConfig;
import ai.finerewards.core.train.TrainExample;
import ai.finerewards.core.train.TrainingRun;
import ai.finerewards.jobs.task.TaskGpus;
import com.google.gson.JsonObject;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The train stage's single partition: selected (round, prompt_id, sample_idx, prompt,
 * image_bytes) rows in key order are spooled to local disk as they stream in (never all images in
 * memory), a round of LoRA training runs on them (core's {@link TrainingRun}), and the rows of
 * {@code train_metrics} come out. Captures only serializable config.
 */
public final class TrainPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final TrainConfig config;
  private final ModelRuntime runtime;
  private final String root;
  private final int round;
  private final String stageFingerprint;

  public TrainPartition(TrainConfig config, ModelRuntime runtime, String root, int round, String stageFingerprint) {
    this.config = config;
    this.runtime = runtime;
    this.root = root;
    this.round = round;
    this.stageFingerprint = stageFingerprint;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    Iterator<TrainExample> examples = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public TrainExample next() {
        Row r = rows.next();
        String id = "round=" + r.getInt(0) + "/prompt_id=" + r.getString(1) + "/sample_idx=" + r.getInt(2);
        if (r.isNullAt(4)) {
          throw new IllegalStateException("training sample " + id + ": samples.image.bytes is null;"
              + " expected the PNG of the generated image");
        }
        return new TrainExample(id, r.getString(3), (byte[]) r.get(4));
      }
    };
    ModelDirectory dir = runtime.directory("diffusion");
    Device device = runtime.device(TaskGpus.forModels(runtime, "train"));
    JsonObject modelConfig = dir.manifest().config();
    int height = modelConfig.get("height").getAsInt();
    int width = modelConfig.get("width").getAsInt();
    CheckpointStore store = new CheckpointStore(new RoundPartitionStore(root, new Configuration()));
    LoraLayout layout = LoraLayout.of(dir.manifest());
    TrainingRun.Start start = start(store, layout, baseModelId(dir));
    TrainingRun.Outcome outcome;
    try (ExampleSpool spool = ExampleSpool.write(examples,
            Paths.get(System.getProperty("java.io.tmpdir"), "finerewards-train"));
        LoraTrainer trainer = LoraTrainer.open(dir, device, config.optimizer(),
            new SeededNoise(config.roundSeed(round)));
        ClipTextTokenizer tokenizer = ClipTextTokenizer.forDiffusion(dir)) {
      if (spool.size() == 0) {
        throw new IllegalStateException("train round " + round + ": no selected samples reached"
            + " the training task");
      }
      outcome = new TrainingRun(config, store).run(start, trainer, tokenizer, height, width, spool,
          m -> { });
    }
    return outcome.metrics().stream().map(TrainPartition::row).iterator();
  }

  /** Round r continues from the newest committed checkpoint of an earlier round, if configured. */
  private TrainingRun.Start start(CheckpointStore store, LoraLayout layout, String baseModelId) {
    if (config.continueFromPrevious()) {
      for (int r = round - 1; r >= 0; r--) {
        Optional<CheckpointStore.Committed> c = store.committed(r, layout);
        if (c.isPresent()) {
          return new TrainingRun.Start(round, baseModelId, c.get().checkpointId(), c.get().lora(), stageFingerprint);
        }
      }
    }
    return new TrainingRun.Start(round, baseModelId, null, null, stageFingerprint);
  }

  /** {@code <source.checkpoint>@<first 12 hex of source.weights_sha256>} (data-schemas convention). */
  static String baseModelId(ModelDirectory dir) {
    JsonObject source = dir.manifest().source();
    String checkpoint = source.has("checkpoint") ? source.get("checkpoint").getAsString() : dir.uri();
    String sha = source.has("weights_sha256") ? source.get("weights_sha256").getAsString()
        : dir.manifest().sha256();
    return checkpoint + "@" + sha.substring(0, Math.min(12, sha.length()));
  }

  private static Row row(StepMetrics m) {
    return RowFactory.create(m.round(), m.step(), m.loss(), m.lr(),
        Double.isFinite(m.gradNorm()) ? m.gradNorm() : null, m.batchSize(), m.samplesSeen(),
        m.elapsedS(), m.checkpointId(), new Timestamp(m.createdAtMillis()));
  }
}
