package ai.finerewards.core.diffusion;

import ai.finerewards.core.seed.SampleSeeds;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The generate stage's work on one stream of sample keys, without Spark: seeds each sample from its
 * key (never from a task or partition), applies the empty-prompt policy, groups consecutive samples
 * into batches of {@code batch-size}, runs the sampler one batch at a time and streams the results
 * lazily. {@code onDone} runs once when the stream is used up (the caller's resources, e.g. predictors).
 */
public final class SampleGeneration implements Iterator<SampleGeneration.Result> {

  /** One sample to generate: its key and prompt. */
  public record Sample(int round, String promptId, int sampleIdx, String prompt) {}

  /** A generated sample, with the prompt text actually encoded (after the empty-prompt policy). */
  public record Result(Sample sample, long seed, GeneratedImage image) {}

  private final Iterator<Sample> samples;
  private final GenerateConfig config;
  private final long baseSeed;
  private final StableDiffusionSampler sampler;
  private final Runnable onDone;
  private final Deque<Result> ready = new ArrayDeque<>();
  private int batchesDone;
  private boolean done;
  private final Runnable afterBatch;

  /**
   * @param afterBatch runs after each batch is generated (progress, or a test's injected failure)
   */
  public SampleGeneration(Iterator<Sample> samples, GenerateConfig config, long baseSeed,
      StableDiffusionSampler sampler, Runnable afterBatch, Runnable onDone) {
    this.samples = samples;
    this.config = config;
    this.baseSeed = baseSeed;
    this.sampler = sampler;
    this.afterBatch = afterBatch;
    this.onDone = onDone;
    sampler.checkSettings(config.settings()); // bad settings fail before the first image
  }

  @Override
  public boolean hasNext() {
    if (ready.isEmpty() && !done) {
      fill();
    }
    return !ready.isEmpty();
  }

  @Override
  public Result next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  public int batchesDone() {
    return batchesDone;
  }

  private void fill() {
    List<Sample> batch = new ArrayList<>(config.batchSize());
    List<SampleRequest> requests = new ArrayList<>(config.batchSize());
    while (batch.size() < config.batchSize() && samples.hasNext()) {
      Sample s = samples.next();
      String text = textFor(s);
      if (text == null) {
        continue;
      }
      batch.add(s);
      requests.add(SampleRequest.seeded(text, SampleSeeds.seed(baseSeed, s.round(), s.promptId(), s.sampleIdx())));
    }
    if (batch.isEmpty()) {
      finish();
      return;
    }
    List<GeneratedImage> images = sampler.generate(config.settings(), requests, StepListener.NONE);
    for (int i = 0; i < batch.size(); i++) {
      ready.add(new Result(batch.get(i), requests.get(i).seed(), images.get(i)));
    }
    batchesDone++;
    afterBatch.run();
  }

  /** The text to encode, or null to skip the sample. */
  private String textFor(Sample s) {
    if (s.prompt() != null && !s.prompt().isBlank()) {
      return s.prompt();
    }
    switch (config.onEmptyPrompt()) {
      case SKIP:
        return null;
      case UNCONDITIONAL:
        return "";
      default:
        throw new IllegalArgumentException("prompt " + s.promptId() + " is empty and finerewards.generate.on-empty-prompt = fail");
    }
  }

  private void finish() {
    if (!done) {
      done = true;
      onDone.run();
    }
  }
}
