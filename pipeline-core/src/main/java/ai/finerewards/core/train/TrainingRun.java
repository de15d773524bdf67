package ai.finerewards.core.train;

import ai.finerewards.core.clip.ClipTextTokenizer;
import ai.finerewards.core.io.HostTensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round of LoRA training from its examples to a published checkpoint: the step budget from
 * config, batches in seeded epoch order, a resumable checkpoint every {@code checkpoint-every}
 * steps, resume from the newest one written by the same run (same fingerprint), and the final
 * checkpoint. Step k's batch and draws depend only on k and the seed, so a resumed run reaches
 * the same LoRA weights as an uninterrupted one.
 */
public final class TrainingRun {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

  /** Called after every optimiser step (progress reporting; tests use it to interrupt a run). */
  public interface StepListener {
    void afterStep(StepMetrics metrics);
  }

  /** What a round's training produced. */
  public record Outcome(String checkpointId, List<StepMetrics> metrics, boolean resumed) {}

  /**
   * What the run is: its round, the base model's id, the checkpoint it starts from (null = the
   * exported initial LoRA) and that checkpoint's values. {@code stageFingerprint} is the train
   * stage's fingerprint, recorded in the checkpoint's commit marker so that resume knows the
   * checkpoint belongs to the committed {@code train_metrics}; null records the run's own.
   */
  public record Start(int round, String baseModelId, String parentCheckpointId, float[][] parentLora,
      String stageFingerprint) {
    public Start(int round, String baseModelId, String parentCheckpointId, float[][] parentLora) {
      this(round, baseModelId, parentCheckpointId, parentLora, null);
    }
  }

  private final TrainConfig config;
  private final CheckpointStore checkpoints;

  public TrainingRun(TrainConfig config, CheckpointStore checkpoints) {
    this.config = config;
    this.checkpoints = checkpoints;
  }

  /**
   * Trains on {@code examples} and publishes the round's checkpoint.
   *
   * @param trainer an open trainer with its NoiseSource seeded by {@code config.roundSeed(round)}
   * @param tokenizer the model's prompt tokenizer
   * @param height image height the model trains on
   * @param width image width
   */
  public Outcome run(Start start, LoraTrainer trainer, ClipTextTokenizer tokenizer, int height,
      int width, ExampleSet examples, StepListener listener) {
    int round = start.round();
    if (examples.size() == 0) {
      throw new IllegalArgumentException("round " + round + " has no training examples");
    }
    LoraLayout layout = trainer.layout();
    int budget = config.stepBudget(examples.size());
    String fingerprint = fingerprint(start, examples, budget);
    List<StepMetrics> metrics = new ArrayList<>();
    int firstStep = 1;
    long samplesSeen = 0;
    double elapsedBefore = 0;
    Optional<CheckpointStore.Progress> progress =
        checkpoints.latestProgress(round, layout, config.optimizer().adam(), fingerprint);
    if (progress.isPresent()) {
      CheckpointStore.Progress p = progress.get();
      trainer.setLoraValues(p.lora());
      trainer.restoreOptimizer(p.optimizer());
      metrics.addAll(p.metrics());
      firstStep = p.step() + 1;
      samplesSeen = p.samplesSeen();
      elapsedBefore = p.elapsedS();
      LOG.info("round {}: resuming training at step {} of {}", round, firstStep, budget);
    } else if (start.parentLora() != null) {
      trainer.setLoraValues(start.parentLora());
    }
    EpochOrder order = new EpochOrder(examples.size(), config.roundSeed(round) ^ 0x5DEECE66DL);
    long t0 = System.nanoTime();
    for (int step = firstStep; step <= budget; step++) {
      List<TrainBatch> micros = new ArrayList<>();
      long position = (long) (step - 1) * config.samplesPerStep();
      for (int j = 0; j < config.gradientAccumulation(); j++) {
        micros.add(batch(examples, order, position + (long) j * config.batchSize(), tokenizer,
            height, width));
      }
      StepResult r = trainer.step(micros);
      samplesSeen += r.samples();
      double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
      StepMetrics m = new StepMetrics(round, step, r.loss(), r.lr(), r.gradNorm(), r.samples(),
          samplesSeen, elapsed, null, System.currentTimeMillis());
      if (step % config.checkpointEvery() == 0 && step < budget) {
        m = m.withCheckpoint("r" + round + "-step" + step);
        metrics.add(m);
        checkpoints.saveProgress(round, layout, new CheckpointStore.Progress(fingerprint, step,
            samplesSeen, elapsed, trainer.loraValues(), trainer.optimizer(), metrics));
      } else {
        metrics.add(m);
      }
      listener.afterStep(m);
    }
    StepMetrics last = metrics.get(metrics.size() - 1);
    String id = checkpoints.publishFinal(layout, trainer.loraValues(),
        new CheckpointStore.FinalInfo(round, start.baseModelId(), start.parentCheckpointId(),
            budget, examples.size(), config.dataRounds(round), config.samplesPerStep(), config.learningRate(),
            config.roundSeed(round), last.loss(),
            start.stageFingerprint() == null ? fingerprint : start.stageFingerprint()));
    metrics.set(metrics.size() - 1, last.withCheckpoint(id));
    checkpoints.clearProgress(round);
    LOG.info("round {}: trained {} steps on {} samples, final loss {}, checkpoint {}", round,
        budget, examples.size(), last.loss(), id);
    return new Outcome(id, metrics, progress.isPresent());
  }

  private static TrainBatch batch(ExampleSet examples, EpochOrder order, long position,
      ClipTextTokenizer tokenizer, int height, int width, int size) {
    float[] images = new float[size * 3 * height * width];
    List<String> prompts = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      TrainExample e = examples.get(order.at(position + i));
      TrainImages.decodeInto(e, height, width, images, i * 3 * height * width);
      prompts.add(e.prompt());
    }
    return new TrainBatch(HostTensor.ofFloats(images, size, 3, height, width),
        HostTensor.ofLongs(tokenizer.batchIds(prompts), size, tokenizer.maxLength()));
  }

  private TrainBatch batch(ExampleSet examples, EpochOrder order, long position,
      ClipTextTokenizer tokenizer, int height, int width) {
    return batch(examples, order, position, tokenizer, height, width, config.batchSize());
  }

  /** Identifies the run: config, base model, parent checkpoint, examples and budget. */
  private String fingerprint(Start start, ExampleSet examples, int budget) {
    StringBuilder sb = new StringBuilder();
    sb.append(config).append('|').append(start.baseModelId()).append('|')
        .append(start.parentCheckpointId()).append('|').append(budget).append('|')
        .append(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      sb.append('|').append(examples.get(i).id());
    }
    return CheckpointStore.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
