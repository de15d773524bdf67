package ai.finerewards.core.image;

import java.util.function.DoubleUnaryOperator;

/**
 * PIL's {@code Image.resize} on 8-bit RGB (Pillow's libImaging/Resample.c): separable convolution,
 * horizontal pass first into an 8-bit intermediate, filter support widened by the scale when
 * downscaling (antialiasing), coefficients in 22-bit fixed point with rounding. Hugging Face image
 * processors resize uint8 images through PIL, so matching it bit for bit is what makes the
 * preprocessed tensors equal to the reference's.
 */
public final class PilResize {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  /** The resampling filters the exported processors use, with PIL's supports. */
  public enum Filter {
    BILINEAR(1.0, x -> {
      x = Math.abs(x);
      return x < 1.0 ? 1.0 - x : 0.0;
    }),
    BICUBIC(2.0, x -> {
      final double a = -0.5;
      x = Math.abs(x);
      if (x < 1.0) {
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      }
      if (x < 2.0) {
        return (((x - 5) * x + 8) * x - 4) * a;
      }
      return 0.0;
    });

    final double support;
    final DoubleUnaryOperator kernel;

    Filter(double support, DoubleUnaryOperator kernel) {
      this.support = support;
      this.kernel = kernel;
    }

    /** The filter named as in the manifests ({@code bilinear}, {@code bicubic}). */
    public static Filter named(String name) {
      for (Filter f : values()) {
        if (f.name().equalsIgnoreCase(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException("resample filter '" + name + "': expected bilinear or bicubic");
    }
  }

  private PilResize() {}

  /** {@code image} resized to {@code outH x outW}. */
  public static RgbImage resize(RgbImage image, int outH, int outW, Filter filter) {
    if (outH <= 0 || outW <= 0) {
      throw new IllegalArgumentException("target size must be positive, got " + outH + "x" + outW);
    }
    RgbImage cur = image;
    if (outW != image.width()) {
      cur = horizontal(cur, outW, filter);
    }
    if (outH != image.height()) {
      cur = vertical(cur, outH, filter);
    }
    return cur;
  }

  /** Per output index: first input index, number of taps, and fixed-point weights. */
  private record Coeffs(int[] start, int[] count, int[][] weights) {}

  private static Coeffs coeffs(int inSize, int outSize, Filter filter) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support * filterScale;
    int[] start = new int[outSize];
    int[] count = new int[outSize];
    int[][] weights = new int[outSize][];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ss = 1.0 / filterScale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      double[] k = new double[Math.max(xmax, 0)];
      double ww = 0.0;
      for (int x = 0; x < xmax; x++) {
        double w = filter.kernel.applyAsDouble((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      int[] fixed = new int[k.length];
      for (int x = 0; x < k.length; x++) {
        double v = ww != 0.0 ? k[x] / ww : k[x];
        fixed[x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
      }
      start[xx] = xmin;
      count[xx] = k.length;
      weights[xx] = fixed;
    }
    return new Coeffs(start, count, weights);
  }

  private static int clip8(int acc) {
    int v = acc >> PRECISION_BITS;
    return v < 0 ? 0 : Math.min(v, 255);
  }

  private static RgbImage horizontal(RgbImage in, int outW, Filter filter) {
    Coeffs c = coeffs(in.width(), outW, filter);
    int h = in.height();
    int[] src = in.pixels();
    int[] out = new int[h * outW * 3];
    for (int y = 0; y < h; y++) {
      int row = y * in.width();
      for (int xx = 0; xx < outW; xx++) {
        int[] k = c.weights[xx];
        for (int ch = 0; ch < 3; ch++) {
          int acc = 1 << (PRECISION_BITS - 1);
          for (int x = 0; x < c.count[xx]; x++) {
            acc += src[(row + c.start[xx] + x) * 3 + ch] * k[x];
          }
          out[(y * outW + xx) * 3 + ch] = clip8(acc);
        }
      }
    }
    return new RgbImage(h, outW, out);
  }

  private static RgbImage vertical(RgbImage in, int outH, Filter filter) {
    Coeffs c = coeffs(in.height(), outH, filter);
    int w = in.width();
    int[] src = in.pixels();
    int[] out = new int[outH * w * 3];
    for (int yy = 0; yy < outH; yy++) {
      int[] k = c.weights[yy];
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < 3; ch++) {
          int acc = 1 << (PRECISION_BITS - 1);
          for (int y = 0; y < c.count[yy]; y++) {
            acc += src[((c.start[yy] + y) * w + x) * 3 + ch] * k[y];
          }
          out[(yy * w + x) * 3 + ch] = clip8(acc);
        }
      }
    }
    return new RgbImage(outH, w, out);
  }
}
