package ai.finerewards.core.train;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The parsed {@code finerewards.train} section (keys documented in reference.conf). Immutable and
 * serializable, so the train job's partition function captures it.
 */
public record TrainConfig(
    double learningRate,
    int warmupSteps,
    double maxGradNorm,
    int batchSize,
    int gradientAccumulation,
    double stepsPerSample,
    int maxSteps,
    double adamBeta1,
    double adamBeta2,
    double adamEpsilon,
    double weightDecay,
    long seed,
    int checkpointEvery,
    int historyRounds,
    boolean continueFromPrevious) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The section's path under {@code finerewards}. */
  public static final String SECTION = "train";

  public static TrainConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    double lr = r.doubleInRange("learning-rate", 0, 1);
    if (lr == 0) {
      throw new ConfigError(r.fullKey("learning-rate"), lr, "a number in (0, 1]");
    }
    double stepsPerSample = r.doubleInRange("steps-per-sample", 0, 1e6);
    if (stepsPerSample == 0) {
      throw new ConfigError(r.fullKey("steps-per-sample"), 0, "a number > 0");
    }
    double eps = r.doubleInRange("adam-epsilon", 0, 1);
    if (eps == 0) {
      throw new ConfigError(r.fullKey("adam-epsilon"), 0, "a number > 0");
    }
    return new TrainConfig(
        lr,
        r.intAtLeast("warmup-steps", 0),
        r.doubleInRange("max-grad-norm", 0, Double.MAX_VALUE),
        r.intAtLeast("batch-size", 1),
        r.intAtLeast("gradient-accumulation", 1),
        stepsPerSample,
        r.intAtLeast("max-steps", 0),
        beta(r, "adam-beta1"),
        beta(r, "adam-beta2"),
        eps,
        r.doubleInRange("weight-decay", 0, Double.MAX_VALUE),
        r.longValue("seed"),
        r.intAtLeast("checkpoint-every", 1),
        r.intAtLeast("history-rounds", 0),
        r.bool("continue-from-previous"));
  }

  private static double beta(SectionReader r, String key) {
    double b = r.doubleInRange(key, 0, 1);
    if (b >= 1) {
      throw new ConfigError(r.fullKey(key), b, "a number in [0, 1)");
    }
    return b;
  }

  /** The optimiser settings these keys give. */
  public OptimizerSettings optimizer() {
    return new OptimizerSettings(learningRate, warmupSteps, maxGradNorm,
        new TorchAdamW.Hyper(adamBeta1, adamBeta2, adamEpsilon, weightDecay));
  }

  /** Samples per optimiser step. */
  public int samplesPerStep() {
    return batchSize * gradientAccumulation;
  }

  /** The optimiser steps of a round with {@code samples} training samples. */
  public int stepBudget(long samples) {
    long steps = (long) Math.ceil(stepsPerSample * samples);
    if (maxSteps > 0) {
      steps = Math.min(steps, maxSteps);
    }
    return (int) Math.min(Math.max(steps, 1), Integer.MAX_VALUE);
  }

  /** The seed of a round's draws: the configured seed with the round mixed in. */
  public long roundSeed(int round) {
    return seed * 0x9E3779B97F4A7C15L ^ (round + 1L) * 0xC2B2AE3D27D4EB4FL;
  }

  /** The rounds whose selected samples round {@code round} trains on: it and history-rounds earlier ones. */
  public List<Integer> dataRounds(int round) {
    return IntStream.rangeClosed(Math.max(0, round - historyRounds), round).boxed().toList();
  }
}
