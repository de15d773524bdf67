package ai.finerewards.core.image;

import java.util.Locale;

/** PIL's resampling filters that {@link PilResize} implements, with their kernels and supports. */
public enum ResampleFilter {
  /** PIL.Image.BILINEAR: the triangle kernel, support 1. */
  BILINEAR(1.0) {
    @Override
    double weight(double x) {
      x = Math.abs(x);
      return x < 1.0 ? 1.0 - x : 0.0;
    }
  },
  /** PIL.Image.BICUBIC: Keys' cubic convolution with a = -0.5, support 2. */
  BICUBIC(2.0) {
    @Override
    double weight(double x) {
      final double a = -0.5;
      x = Math.abs(x);
      if (x < 1.0) {
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      }
      if (x < 2.0) {
        return (((x - 5) * x + 8) * x - 4) * a;
      }
      return 0.0;
    }
  };

  private final double support;

  ResampleFilter(double support) {
    this.support = support;
  }

  /** Half-width of the kernel at scale 1, in source pixels. */
  double support() {
    return support;
  }

  /** The kernel value at distance {@code x}. */
  abstract double weight(double x);

  /**
   * The filter named as in manifests ({@code bicubic}, {@code bilinear}), case-insensitive.
   *
   * @throws IllegalArgumentException naming the value and the supported names
   */
  public static ResampleFilter named(String name) {
    for (ResampleFilter f : values()) {
      if (f.name().equalsIgnoreCase(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("resample filter '" + name + "' is not supported; expected one of "
        + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
  }
}
