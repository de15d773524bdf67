package ai.finerewards.core.image;

/**
 * Hugging Face image processors' rescale and normalize: {@code float32(float64(x) * factor)}, then
 * {@code (x - mean[c]) / std[c]} in float32, written CHW into a (possibly larger, zero-padded) plane.
 */
public record PixelNormalizer(double rescaleFactor, float[] mean, float[] std) {

  public PixelNormalizer {
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need 3 channels");
    }
  }

  /**
   * Writes {@code image} into {@code out} at offset {@code base} as a CHW block of
   * {@code 3 x planeH x planeW} (planeH/W >= the image's); cells outside the image stay as they are
   * (0.0 in a fresh array: padding after normalisation, as SamImageProcessor pads).
   */
  public void writeChw(RgbImage image, float[] out, int base, int planeH, int planeW) {
    if (image.height() > planeH || image.width() > planeW) {
      throw new IllegalArgumentException("image " + image.height() + "x" + image.width()
          + " does not fit a " + planeH + "x" + planeW + " plane");
    }
    int[] px = image.pixels();
    for (int c = 0; c < 3; c++) {
      int plane = base + c * planeH * planeW;
      for (int y = 0; y < image.height(); y++) {
        for (int x = 0; x < image.width(); x++) {
          float v = (float) (px[(y * image.width() + x) * 3 + c] * rescaleFactor);
          out[plane + y * planeW + x] = (v - mean[c]) / std[c];
        }
      }
    }
  }
}
