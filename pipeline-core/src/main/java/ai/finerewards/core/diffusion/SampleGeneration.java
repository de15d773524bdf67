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
  public record Result(Sample sample, long seed, GeneratedImage image) {
    /** This result with its image's PNG bytes (itself when it has them). */
    public Result encoded() {
      return image.png() != null ? this : new Result(sample, seed, image.withPng());
    }
  }

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
    List<Sample> batch = nextBatch(samples, config);
    if (batch.isEmpty()) {
      finish();
      return;
    }
    ready.addAll(generate(sampler, config, baseSeed, batch, true));
    batchesDone++;
    afterBatch.run();
  }

  /**
   * The next batch of a stream: up to {@code batch-size} consecutive samples that the empty-prompt
   * policy keeps (skipped ones are consumed and dropped); empty when the stream is used up. The batch
   * boundaries matter: batching changes pixels by one rounding step, so every caller groups this way.
   */
  public static List<Sample> nextBatch(Iterator<Sample> samples, GenerateConfig config) {
    List<Sample> batch = new ArrayList<>(config.batchSize());
    while (batch.size() < config.batchSize() && samples.hasNext()) {
      Sample s = samples.next();
      if (textFor(s, config) != null) {
        batch.add(s);
      }
    }
    return batch;
  }

  /**
   * Generates one batch from {@link #nextBatch} in one sampler call. With {@code encodePng} false
   * the images carry pixels only; {@link Result#encoded()} adds the PNG later (on another thread).
   */
  public static List<Result> generate(StableDiffusionSampler sampler, GenerateConfig config, long baseSeed,
      List<Sample> batch, boolean encodePng) {
    List<SampleRequest> requests = new ArrayList<>(batch.size());
    for (Sample s : batch) {
      requests.add(SampleRequest.seeded(textFor(s, config), SampleSeeds.seed(baseSeed, s.round(), s.promptId(), s.sampleIdx())));
    }
    List<GeneratedImage> images = encodePng
        ? sampler.generate(config.settings(), requests, StepListener.NONE)
        : sampler.generatePixels(config.settings(), requests, StepListener.NONE);
    List<Result> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      out.add(new Result(batch.get(i), requests.get(i).seed(), images.get(i)));
    }
    return out;
  }

  /** The text to encode, or null to skip the sample. */
  private static String textFor(Sample s, GenerateConfig config) {
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
