package ai.finerewards.core.train;

import java.util.SplittableRandom;

/**
 * The order in which a run visits its examples: epoch after epoch, each a seeded permutation, so
 * the example at any position (and hence any step's batch) is known without replaying earlier
 * steps.
 */
final class EpochOrder {
  private final int size;
  private final long seed;
  private long cachedEpoch = -1;
  private int[] cached;

  EpochOrder(int size, long seed) {
    if (size < 1) {
      throw new IllegalArgumentException("no training examples");
    }
    this.size = size;
    this.seed = seed;
  }

  /** The example index at global position {@code position} (0-based, across epochs). */
  int at(long position) {
    long epoch = position / size;
    if (epoch != cachedEpoch) {
      cached = permutation(epoch);
      cachedEpoch = epoch;
    }
    return cached[(int) (position % size)];
  }

  private int[] permutation(long epoch) {
    int[] p = new int[size];
    for (int i = 0; i < size; i++) {
      p[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed ^ (epoch + 1) * 0xD1B54A32D192ED03L);
    for (int i = size - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
