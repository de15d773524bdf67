package ai.finerewards.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * An 8-bit RGB image in row-major HWC order, the layout PIL and numpy use, so preprocessing code
 * reads like the Python reference. Values are 0..255 stored in ints for arithmetic convenience.
 */
public record RgbImage(int height, int width, int[] pixels) {

  public RgbImage {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
    }
    if (pixels.length != height * width * 3) {
      throw new IllegalArgumentException(
          "an " + height + "x" + width + " RGB image needs " + (height * width * 3) + " values, got " + pixels.length);
    }
  }

  /** Channel {@code c} of pixel (y, x). */
  public int at(int y, int x, int c) {
    return pixels[(y * width + x) * 3 + c];
  }

  /** Decodes PNG (or any ImageIO format) bytes to RGB; alpha is dropped as PIL's convert("RGB") does. */
  public static RgbImage decode(byte[] encoded) throws IOException {
    if (encoded == null || encoded.length == 0) {
      throw new IOException("no image bytes");
    }
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(encoded));
    if (img == null) {
      throw new IOException("not a decodable image (" + encoded.length + " bytes, header "
          + Arrays.toString(Arrays.copyOf(encoded, Math.min(8, encoded.length))) + ")");
    }
    int h = img.getHeight();
    int w = img.getWidth();
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    int[] px = new int[h * w * 3];
    for (int i = 0; i < argb.length; i++) {
      px[3 * i] = (argb[i] >> 16) & 0xff;
      px[3 * i + 1] = (argb[i] >> 8) & 0xff;
      px[3 * i + 2] = argb[i] & 0xff;
    }
    return new RgbImage(h, w, px);
  }

  /** Encodes as PNG (used by tests and the demo to build sample tables). */
  public byte[] toPng() {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, (at(y, x, 0) << 16) | (at(y, x, 1) << 8) | at(y, x, 2));
      }
    }
    try (var out = new java.io.ByteArrayOutputStream()) {
      ImageIO.write(img, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding failed", e);
    }
  }

  /** The rectangle [y0, y1) x [x0, x1) as a new image. */
  public RgbImage crop(int y0, int x0, int y1, int x1) {
    if (y0 < 0 || x0 < 0 || y1 > height || x1 > width || y1 <= y0 || x1 <= x0) {
      throw new IllegalArgumentException("crop [" + y0 + "," + y1 + ")x[" + x0 + "," + x1 + ") outside "
          + height + "x" + width);
    }
    int h = y1 - y0;
    int w = x1 - x0;
    int[] px = new int[h * w * 3];
    for (int y = 0; y < h; y++) {
      System.arraycopy(pixels, ((y0 + y) * width + x0) * 3, px, y * w * 3, w * 3);
    }
    return new RgbImage(h, w, px);
  }
}
