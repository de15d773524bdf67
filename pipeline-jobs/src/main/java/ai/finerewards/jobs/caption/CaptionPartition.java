package ai.finerewards.jobs.caption;

import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.caption.CaptionInput;
import ai.finerewards.core.caption.CaptionResult;
import ai.finerewards.core.caption.CaptionRewardRunner;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.task.OverlappedBatches;
import ai.finerewards.jobs.task.TaskGpus;
import ai.finerewards.jobs.task.TaskProgress;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The caption stage's partition function: sample rows {@code (round, prompt_id, sample_idx,
 * prompt, image_bytes)} in, {@code captions} rows out. Rows are read in batches of
 * {@code caption.batch-size} and streamed out lazily; the core {@link CaptionRewardRunner} (models
 * from the JVM-wide cache, prompt embeddings from the JVM-wide memo) is opened on the first batch and
 * closed when the iterator is used up or the task ends. Images are decoded ahead of the model and
 * rows built behind it ({@link OverlappedBatches}). Captures only serializable config.
 */
public final class CaptionPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** The column order of the input rows. */
  public static final String[] INPUT_COLUMNS = {"round", "prompt_id", "sample_idx", "prompt", "image.bytes"};
  public static final StructType SCHEMA = SparkSchemas.toStructType(Tables.CAPTIONS);
  public static final Encoder<Row> ENCODER = Encoders.row(SCHEMA);

  private final ModelRuntime runtime;
  private final CaptionConfig config;
  private final Timestamp createdAt;
  private final LongAccumulator promptEmbeddings;

  public CaptionPartition(ModelRuntime runtime, CaptionConfig config, Timestamp createdAt,
      LongAccumulator promptEmbeddings) {
    this.runtime = runtime;
    this.config = config;
    this.createdAt = createdAt;
    this.promptEmbeddings = promptEmbeddings;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return List.<Row>of().iterator(); // an empty partition loads no model
    }
    List<String> gpus = TaskGpus.forModels(runtime, "caption");
    return new OverlappedBatches<Row, CaptionRewardRunner.DecodedBatch, Captioned, Row, CaptionRewardRunner>(
        "caption", rows, OverlappedBatches.BatchReader.fixed(config.batchSize()), OverlappedBatches.DEFAULT_PREFETCH,
        new Steps(gpus));
  }

  /** A batch's results and how many prompts its model call embedded (for the accumulator). */
  private record Captioned(List<CaptionResult> results, long promptsEmbedded) {}

  /** Decode on the prepare thread, caption and embed on the model thread, rows on the task thread. */
  private final class Steps implements OverlappedBatches.Steps<Row, CaptionRewardRunner.DecodedBatch, Captioned, Row,
      CaptionRewardRunner> {
    private final List<String> gpus;

    Steps(List<String> gpus) {
      this.gpus = gpus;
    }

    @Override
    public CaptionRewardRunner open() {
      return CaptionRewardRunner.open(runtime, gpus, config);
    }

    @Override
    public CaptionRewardRunner.DecodedBatch prepare(List<Row> batch) {
      List<CaptionInput> inputs = new ArrayList<>(batch.size());
      for (Row r : batch) {
        inputs.add(new CaptionInput(r.getString(3), r.isNullAt(4) ? null : (byte[]) r.get(4)));
      }
      return CaptionRewardRunner.decode(inputs);
    }

    @Override
    public Captioned run(CaptionRewardRunner runner, CaptionRewardRunner.DecodedBatch decoded) {
      long promptsBefore = runner.promptsEmbedded();
      List<CaptionResult> results = runner.run(decoded);
      return new Captioned(results, runner.promptsEmbedded() - promptsBefore);
    }

    @Override
    public List<Row> finish(CaptionRewardRunner runner, List<Row> batch, Captioned captioned) {
      TaskProgress.add(promptEmbeddings, captioned.promptsEmbedded());
      List<Row> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Row r = batch.get(i);
        CaptionResult c = captioned.results().get(i);
        // Contract order: round, prompt_id, sample_idx, caption, caption_reward, captioner_model_id,
        // clip_model_id, error, created_at (checked against SCHEMA by CaptionJobTest).
        out.add(RowFactory.create(r.getInt(0), r.getString(1), r.getInt(2), c.caption(), c.reward(),
            runner.captionerModelId(), runner.clipModelId(), c.error(), createdAt));
      }
      return out;
    }
  }
}
