package ai.finerewards.jobs.caption;

import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.caption.CaptionInput;
import ai.finerewards.core.caption.CaptionResult;
import ai.finerewards.core.caption.CaptionRewardRunner;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
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
 * closed when the iterator is used up or the task ends. Captures only serializable config.
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
    return new Batches(rows);
  }

  private static List<String> gpuAddresses() {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return List.of();
    }
    ResourceInformation gpu = tc.resources().get("gpu").getOrElse(() -> null);
    return gpu == null ? List.of() : Arrays.asList(gpu.addresses());
  }

  /** Reads a batch, runs it, hands its rows out, repeats; closes the runner at the end. */
  private final class Batches implements Iterator<Row> {
    private final Iterator<Row> in;
    private final List<Row> pending = new ArrayList<>();
    private int next;
    private CaptionRewardRunner runner;
    private boolean closed;

    Batches(Iterator<Row> in) {
      this.in = in;
      TaskContext tc = TaskContext.get();
      if (tc != null) {
        tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close());
      }
    }

    @Override
    public boolean hasNext() {
      if (next < pending.size()) {
        return true;
      }
      pending.clear();
      next = 0;
      if (!in.hasNext()) {
        close();
        return false;
      }
      runBatch();
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return pending.get(next++);
    }

    private void runBatch() {
      List<Row> batch = new ArrayList<>(config.batchSize());
      while (batch.size() < config.batchSize() && in.hasNext()) {
        batch.add(in.next());
      }
      List<CaptionInput> inputs = new ArrayList<>(batch.size());
      for (Row r : batch) {
        inputs.add(new CaptionInput(r.getString(3), r.isNullAt(4) ? null : (byte[]) r.get(4)));
      }
      if (runner == null) {
        runner = CaptionRewardRunner.open(runtime, gpuAddresses(), config);
      }
      long promptsBefore = runner.promptsEmbedded();
      List<CaptionResult> results = runner.run(inputs);
      promptEmbeddings.add(runner.promptsEmbedded() - promptsBefore);
      for (int i = 0; i < batch.size(); i++) {
        Row r = batch.get(i);
        CaptionResult c = results.get(i);
        // Contract order: round, prompt_id, sample_idx, caption, caption_reward, captioner_model_id,
        // clip_model_id, error, created_at (checked against SCHEMA by CaptionJobTest).
        pending.add(RowFactory.create(r.getInt(0), r.getString(1), r.getInt(2), c.caption(), c.reward(),
            runner.captionerModelId(), runner.clipModelId(), c.error(), createdAt));
      }
    }

    private void close() {
      if (!closed) {
        closed = true;
        if (runner != null) {
          runner.close();
        }
      }
    }
  }
}
