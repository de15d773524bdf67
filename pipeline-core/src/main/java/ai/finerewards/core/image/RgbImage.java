package ai.finerewards.core.image;

/**
 * An 8-bit RGB image in row-major HWC order ({@code pixels[(y * width + x) * 3 + c]}, unsigned
 * values held in bytes), the form PIL's "RGB" mode and transformers' processors work on.
 */
public record RgbImage(int width, int height, byte[] pixels) {
  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
    }
    if (pixels.length != (long) width * height * 3) {
      throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
          + (long) width * height * 3 + " bytes, got " + pixels.length);
    }
  }

  /** Channel {@code c} of pixel (x, y), 0..255. */
  public int get(int x, int y, int c) {
    return pixels[(y * width + x) * 3 + c] & 0xff;
  }

  /** The {@code w x h} window at (left, top): transformers' center_crop, without padding. */
  public RgbImage crop(int left, int top, int w, int h) {
    if (left < 0 || top < 0 || left + w > width || top + h > height) {
      throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + left + ", " + top
          + ") does not fit a " + width + "x" + height + " image");
    }
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      System.arraycopy(pixels, ((top + y) * width + left) * 3, out, y * w * 3, w * 3);
    }
    return new RgbImage(w, h, out);
  }
}
