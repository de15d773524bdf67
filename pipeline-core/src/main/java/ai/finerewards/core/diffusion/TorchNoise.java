package ai.finerewards.core.diffusion;

/**
 * Gaussian noise drawn as PyTorch 2.x draws it on the CPU for a float32 tensor:
 * {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed))}, so a Python user can
 * reproduce a sample's initial latents from its seed (see docs/seeds.md).
 *
 * <p>The algorithm (ATen {@code normal_fill}, for contiguous float tensors of 16 or more values): a
 * 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits of the seed, as torch's CPU
 * generator is; n uniform floats {@code (r & 0xFFFFFF) / 2^24}; then Box-Muller on each block of
 * 16, pairing value j with j+8 ({@code u1 = 1 - u[j]}, {@code u2 = u[j+8]}); when n is not a
 * multiple of 16, the last 16 values are drawn again from the generator and transformed once more.
 * torch evaluates log/cos/sin in float32 (vectorised on AVX2), this class in double: values agree to
 * about 1e-6 relative, not bit for bit; Java gives the same bits on every platform.
 */
public final class TorchNoise {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int next;

  private TorchNoise(long seed) {
    mt[0] = (int) seed;
    for (int j = 1; j < N; j++) {
      int prev = mt[j - 1];
      mt[j] = 1812433253 * (prev ^ (prev >>> 30)) + j;
    }
    next = N;
  }

  /**
   * {@code count} standard normal floats for {@code seed}; {@code count} must be at least 16 (the
   * latents of any image of 8x8 pixels or more have 4 x h/8 x w/8 >= 4 values; the sampler's size
   * checks keep it at 16 or more).
   */
  public static float[] randn(long seed, int count) {
    if (count < 16) {
      throw new IllegalArgumentException("torch-compatible noise needs at least 16 values, asked for " + count);
    }
    TorchNoise gen = new TorchNoise(seed);
    float[] data = new float[count];
    for (int i = 0; i < count; i++) {
      data[i] = gen.uniform();
    }
    for (int i = 0; i + 16 <= count; i += 16) {
      boxMuller16(data, i);
    }
    if (count % 16 != 0) {
      int start = count - 16;
      for (int i = 0; i < 16; i++) {
        data[start + i] = gen.uniform();
      }
      boxMuller16(data, start);
    }
    return data;
  }

  private static void boxMuller16(float[] d, int off) {
    for (int j = 0; j < 8; j++) {
      float u1 = 1f - d[off + j]; // [0, 1) -> (0, 1] for the log
      float u2 = d[off + j + 8];
      double radius = (float) Math.sqrt(-2.0 * (float) Math.log(u1));
      double theta = (float) (2.0 * Math.PI * u2);
      d[off + j] = (float) (radius * Math.cos(theta));
      d[off + j + 8] = (float) (radius * Math.sin(theta));
    }
  }

  private float uniform() {
    return (nextInt() & 0xFFFFFF) * (1.0f / (1 << 24));
  }

  private int nextInt() {
    if (next >= N) {
      twist();
    }
    int y = mt[next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y;
  }

  private void twist() {
    for (int k = 0; k < N; k++) {
      int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
    }
    next = 0;
  }
}
