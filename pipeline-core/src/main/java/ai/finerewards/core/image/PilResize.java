package ai.finerewards.core.image;

/**
 * {@code PIL.Image.resize(size, resample)} on an 8-bit RGB image, reproduced exactly: Pillow's
 * separable two-pass convolution (src/libImaging/Resample.c), horizontal pass first, each pass
 * rounded to uint8. The kernel is widened by the scale when downscaling (antialiasing), weights
 * are normalised per output pixel and then quantised to 22-bit fixed point, and sums start at one
 * half for rounding. Any difference from Pillow would show as off-by-one pixels, so the golden
 * tests compare uint8 results exactly.
 */
public final class PilResize {
  /** Fixed-point bits of the quantised weights (Pillow: 32 - 8 - 2). */
  private static final int PRECISION_BITS = 22;

  private PilResize() {}

  /** The image resized to {@code width x height} (aspect ratio not kept). */
  public static RgbImage resize(RgbImage in, int width, int height, ResampleFilter filter) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
    }
    if (width == in.width() && height == in.height()) {
      return in; // PIL returns a copy: same pixels
    }
    Coefficients vertical = Coefficients.of(in.height(), height, filter);
    // Only the source rows the vertical pass reads go through the horizontal pass.
    int firstRow = vertical.bounds[0];
    int lastRow = vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1];
    byte[] src = in.pixels();
    int rowOffset = 0;
    if (width != in.width()) {
      Coefficients horizontal = Coefficients.of(in.width(), width, filter);
      src = horizontalPass(in.pixels(), in.width(), firstRow, lastRow - firstRow, width, horizontal);
      rowOffset = firstRow;
    }
    if (height == in.height()) {
      return new RgbImage(width, height, src); // unchanged height: every row went through, no vertical pass
    }
    return new RgbImage(width, height, verticalPass(src, width, rowOffset, height, vertical));
  }

  private static byte[] horizontalPass(
      byte[] src, int srcWidth, int firstRow, int rows, int outWidth, Coefficients k) {
    byte[] out = new byte[rows * outWidth * 3];
    for (int y = 0; y < rows; y++) {
      int rowBase = (y + firstRow) * srcWidth * 3;
      for (int x = 0; x < outWidth; x++) {
        int min = k.bounds[2 * x];
        int n = k.bounds[2 * x + 1];
        int kBase = x * k.size;
        for (int c = 0; c < 3; c++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < n; i++) {
            ss += (src[rowBase + (min + i) * 3 + c] & 0xff) * k.weights[kBase + i];
          }
          out[(y * outWidth + x) * 3 + c] = clip8(ss);
        }
      }
    }
    return out;
  }

  private static byte[] verticalPass(
      byte[] src, int width, int rowOffset, int outHeight, Coefficients k) {
    byte[] out = new byte[outHeight * width * 3];
    for (int y = 0; y < outHeight; y++) {
      int min = k.bounds[2 * y] - rowOffset;
      int n = k.bounds[2 * y + 1];
      int kBase = y * k.size;
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < n; i++) {
            ss += (src[((min + i) * width + x) * 3 + c] & 0xff) * k.weights[kBase + i];
          }
          out[(y * width + x) * 3 + c] = clip8(ss);
        }
      }
    }
    return out;
  }

  /** Pillow's clip8: the fixed-point sum shifted down (an arithmetic shift) and clamped. */
  private static byte clip8(int ss) {
    int v = ss >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /** Per output pixel: the first source index, the tap count and the quantised weights. */
  private static final class Coefficients {
    final int size;
    final int[] bounds;
    final int[] weights;

    private Coefficients(int size, int[] bounds, int[] weights) {
      this.size = size;
      this.bounds = bounds;
      this.weights = weights;
    }

    static Coefficients of(int inSize, int outSize, ResampleFilter filter) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = filter.support() * filterScale;
      int size = (int) Math.ceil(support) * 2 + 1;
      int[] bounds = new int[outSize * 2];
      int[] weights = new int[outSize * size];
      double[] w = new double[size];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        // C's (int) cast truncates toward zero, as Java's does.
        int min = Math.max((int) (center - support + 0.5), 0);
        int max = Math.min((int) (center + support + 0.5), inSize) - min;
        double total = 0.0;
        for (int x = 0; x < max; x++) {
          w[x] = filter.weight((x + min - center + 0.5) * ss);
          total += w[x];
        }
        for (int x = 0; x < max; x++) {
          double normalised = total != 0.0 ? w[x] / total : w[x];
          double fixed = normalised * (1 << PRECISION_BITS);
          weights[xx * size + x] = (int) (normalised < 0 ? -0.5 + fixed : 0.5 + fixed);
        }
        bounds[2 * xx] = min;
        bounds[2 * xx + 1] = max;
      }
      return new Coefficients(size, bounds, weights);
    }
  }
}
