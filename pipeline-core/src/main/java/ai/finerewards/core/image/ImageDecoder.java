package ai.finerewards.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Encoded image bytes (PNG, JPEG, BMP, GIF: whatever ImageIO reads) to 8-bit RGB, as
 * {@code PIL.Image.open(...).convert("RGB")} gives it: alpha is dropped (not composited), grey
 * is copied to the three channels, palettes are looked up, 16-bit samples keep their high byte.
 * Component images are read from the raster, never through {@code getRGB}, which would apply a
 * colour-space conversion to grey images that PIL does not.
 */
public final class ImageDecoder {
  /** Larger images are refused before their pixels are allocated (about 800 MB of RGB). */
  static final long MAX_PIXELS = 1L << 28;

  private ImageDecoder() {}

  /**
   * Decode {@code bytes}.
   *
   * @throws ImageDecodeException when the bytes are null, empty, of no known format, truncated
   *     or too large; the message says which
   */
  public static RgbImage decode(byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException("no image bytes (null or empty)");
    }
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException("cannot decode image (" + bytes.length + " bytes): " + e.getMessage(), e);
    }
    if (img == null) {
      throw new ImageDecodeException("not an image in a known format (" + bytes.length
          + " bytes, starting " + hexPrefix(bytes) + ")");
    }
    long n = (long) img.getWidth() * img.getHeight();
    if (n > MAX_PIXELS) {
      throw new ImageDecodeException("image of " + img.getWidth() + "x" + img.getHeight()
          + " pixels is larger than " + MAX_PIXELS + " pixels");
    }
    return toRgb(img);
  }

  /** A decoded image as 8-bit RGB. */
  public static RgbImage toRgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[w * h * 3];
    ColorModel cm = img.getColorModel();
    Raster raster = img.getRaster();
    int transfer = raster.getTransferType();
    if (cm instanceof ComponentColorModel
        && (transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT)) {
      int bands = raster.getNumBands();
      int colour = cm.getNumColorComponents(); // 1 = grey, 3 = RGB; an alpha band follows
      int shift = transfer == DataBuffer.TYPE_USHORT ? 8 : 0;
      int[] row = new int[w * bands];
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, row);
        for (int x = 0; x < w; x++) {
          for (int c = 0; c < 3; c++) {
            int v = row[x * bands + (colour == 1 ? 0 : c)] >> shift;
            out[(y * w + x) * 3 + c] = (byte) v;
          }
        }
      }
    } else {
      // Packed and indexed (palette) images: getRGB is a plain lookup in sRGB.
      int[] argb = new int[w];
      for (int y = 0; y < h; y++) {
        img.getRGB(0, y, w, 1, argb, 0, w);
        for (int x = 0; x < w; x++) {
          int p = argb[x];
          int o = (y * w + x) * 3;
          out[o] = (byte) (p >> 16);
          out[o + 1] = (byte) (p >> 8);
          out[o + 2] = (byte) p;
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  private static String hexPrefix(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }
}
