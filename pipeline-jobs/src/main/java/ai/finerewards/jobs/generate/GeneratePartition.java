package ai.finerewards.jobs.generate;

import ai.djl.Device;
import ai.finerewards.core.diffusion.DiffusionComponents;
import ai.finerewards.core.diffusion.DiffusionModelConfig;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.diffusion.LoraCheckpoint;
import ai.finerewards.core.diffusion.SampleGeneration;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.task.OverlappedBatches;
import ai.finerewards.jobs.task.TaskGpus;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The generate stage's partition function: sample keys (round, prompt_id, sample_idx, prompt) in,
 * {@code samples} rows out, lazily, one sampler batch at a time. Captures only serializable config;
 * the model comes from the executor's ModelCache and the predictors are closed when the iterator is
 * used up or the task ends. Seeds come from row keys (core's SampleGeneration), never task ids, so a
 * retried task writes the same bytes. Each batch's PNGs are encoded while the model runs the next
 * ({@link OverlappedBatches}).
 */
public final class GeneratePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

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
    List<String> gpus = TaskGpus.forModels(runtime, "generate");
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
    var s = config.settings();
    // Batches as core's SampleGeneration groups them (batching moves pixels by a rounding step);
    // the sampler runs on the model thread, PNG encoding and rows on the task thread behind it.
    return new OverlappedBatches<SampleGeneration.Sample, List<SampleGeneration.Sample>, List<SampleGeneration.Result>,
        Row, DiffusionComponents>("generate", samples, in -> SampleGeneration.nextBatch(in, config),
        OverlappedBatches.DEFAULT_PREFETCH, new OverlappedBatches.Steps<>() {
          @Override
          public DiffusionComponents open() {
            ModelDirectory dir = runtime.directory("diffusion");
            Device device = runtime.device(gpus);
            LoraCheckpoint lora = loraDirectory == null ? null
                : LoraCheckpoint.read(Paths.get(loraDirectory), DiffusionModelConfig.from(dir.manifest()));
            DiffusionComponents components = DiffusionComponents.open(dir, device, runtime.models().dtype(), lora);
            try {
              components.sampler().checkSettings(s); // bad settings fail before the first image
            } catch (RuntimeException e) {
              components.close();
              throw e;
            }
            return components;
          }

          @Override
          public List<SampleGeneration.Sample> prepare(List<SampleGeneration.Sample> batch) {
            return batch; // prompts are tokenized inside the sampler's batch call
          }

          @Override
          public List<SampleGeneration.Result> run(DiffusionComponents components, List<SampleGeneration.Sample> batch) {
            return SampleGeneration.generate(components.sampler(), config, baseSeed, batch, false);
          }

          @Override
          public List<Row> finish(DiffusionComponents components, List<SampleGeneration.Sample> batch,
              List<SampleGeneration.Result> results) {
            String modelId = components.config().modelId();
            String loraId = components.loraCheckpointId();
            List<Row> out = new ArrayList<>(results.size());
            for (SampleGeneration.Result unencoded : results) {
              SampleGeneration.Result res = unencoded.encoded();
              SampleGeneration.Sample k = res.sample();
              Row image = RowFactory.create(res.image().png(), k.promptId() + "-" + k.sampleIdx() + ".png");
              out.add(RowFactory.create(k.round(), k.promptId(), k.sampleIdx(), k.prompt(),
                  s.guided() && !s.negativePrompt().isEmpty() ? s.negativePrompt() : null, res.seed(), image, s.width(),
                  s.height(), modelId, loraId, s.schedulerClassName(), s.steps(), s.guidanceScale(),
                  res.image().truncatedTokens(), createdAt));
            }
            return out;
          }
        });
  }
}
