package ai.finerewards.jobs.generate;

import ai.djl.Device;
import ai.finerewards.core.diffusion.DiffusionComponents;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.diffusion.LoraCheckpoint;
import ai.finerewards.core.diffusion.SampleGeneration;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The generate stage's partition function: sample keys (round, prompt_id, sample_idx, prompt) in,
 * {@code samples} rows out, lazily, one sampler batch at a time. Captures only serializable config;
 * the model comes from the executor's ModelCache and the predictors are closed when the iterator is
 * used up or the task ends. Seeds come from row keys (core's SampleGeneration), never task ids.
 *
 * <p>Testing hook: when the JVM system property {@value #FAIL_ONCE_PROPERTY} names a file that does
 * not exist yet, the first task to create it fails after its first batch, so a test can check that a
 * retried task writes the same bytes. Unset in production.
 */
public final class GeneratePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  public static final String FAIL_ONCE_PROPERTY = "finerewards.test.generate-fail-once-marker";

  private final GenerateConfig config;
  private final ModelRuntime runtime;
  private final long baseSeed;
  private final String loraDirectory;
  private final Timestamp createdAt;

  /**
   * @param loraDirectory a local checkpoint directory, or null for the base model
   * @param createdAt written to every row (fixed on the driver, so a retried task writes the same rows)
   */
  public GeneratePartition(GenerateConfig config, ModelRuntime runtime, long baseSeed, String loraDirectory, Timestamp createdAt) {
    this.config = config;
    this.runtime = runtime;
    this.baseSeed = baseSeed;
    this.loraDirectory = loraDirectory;
    this.createdAt = createdAt;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return List.<Row>of().iterator();
    }
    ModelDirectory dir = runtime.directory("diffusion");
    Device device = runtime.device(gpuAddresses());
    LoraCheckpoint lora = loraDirectory == null ? null
        : LoraCheckpoint.read(Paths.get(loraDirectory), ai.finerewards.core.diffusion.DiffusionModelConfig.from(dir.manifest()));
    DiffusionComponents components = DiffusionComponents.open(dir, device, runtime.models().dtype(), lora);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> components.close());
    }
    Iterator<SampleGeneration.Sample> samples = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public SampleGeneration.Sample next() {
        Row r = rows.next();
        return new SampleGeneration.Sample(r.getInt(0), r.getString(1), r.getInt(2), r.getString(3));
      }
    };
    SampleGeneration generation = new SampleGeneration(samples, config, baseSeed, components.sampler(),
        GeneratePartition::maybeFailOnce, components::close);
    String modelId = components.config().modelId();
    String loraId = components.loraCheckpointId();
    var s = config.settings();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return generation.hasNext();
      }

      @Override
      public Row next() {
        SampleGeneration.Result res = generation.next();
        SampleGeneration.Sample k = res.sample();
        Row image = RowFactory.create(res.image().png(), k.promptId() + "-" + k.sampleIdx() + ".png");
        return RowFactory.create(k.round(), k.promptId(), k.sampleIdx(), k.prompt(),
            s.guided() && !s.negativePrompt().isEmpty() ? s.negativePrompt() : null, res.seed(), image, s.width(), s.height(), modelId, loraId,
            s.schedulerClassName(), s.steps(), s.guidanceScale(), res.image().truncatedTokens(), createdAt);
      }
    };
  }

  private static List<String> gpuAddresses() {
    List<String> gpus = new ArrayList<>();
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      ResourceInformation info = tc.resources().get("gpu").getOrElse(() -> null);
      if (info != null) {
        gpus.addAll(Arrays.asList(info.addresses()));
      }
    }
    return gpus;
  }

  private static void maybeFailOnce() {
    String marker = System.getProperty(FAIL_ONCE_PROPERTY);
    if (marker == null || marker.isEmpty()) {
      return;
    }
    try {
      Files.createFile(Paths.get(marker));
    } catch (FileAlreadyExistsException e) {
      return; // already failed once
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("injected one-time failure (" + FAIL_ONCE_PROPERTY + " = " + marker + ")");
  }
}
