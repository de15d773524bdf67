package ai.finerewards.core.train;

import java.util.SplittableRandom;

/**
 * The production {@link NoiseSource}: standard normal noise and uniform timesteps from a
 * generator seeded by (seed, step, micro-batch), so draws do not depend on how many steps ran
 * before in this JVM (resume gives the same draws).
 */
public final class SeededNoise implements NoiseSource {
  private final long seed;

  public SeededNoise(long seed) {
    this.seed = seed;
  }

  @Override
  public Draw draw(long step, int micro, int batch, int latentSize, int numTrainTimesteps) {
    // Distinct, well-mixed stream per (seed, step, micro): SplittableRandom mixes its seed.
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + micro);
    float[] encodeNoise = new float[batch * latentSize];
    float[] noise = new float[batch * latentSize];
    for (int i = 0; i < encodeNoise.length; i++) {
      encodeNoise[i] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) rng.nextGaussian();
    }
    long[] timesteps = new long[batch];
    for (int i = 0; i < batch; i++) {
      timesteps[i] = rng.nextInt(numTrainTimesteps);
    }
    return new Draw(encodeNoise, noise, timesteps);
  }
}
