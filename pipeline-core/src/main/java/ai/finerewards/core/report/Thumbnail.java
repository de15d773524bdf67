package ai.finerewards.core.report;

import ai.finerewards.core.image.ImageDecodeException;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.PilResize;
import ai.finerewards.core.image.ResampleFilter;
import ai.finerewards.core.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * A small PNG of a sample image for the report, computed from the {@code samples} bytes: the longer
 * side shrunk to at most {@code maxSide} pixels (PIL's antialiased bicubic, as PIL's
 * {@code thumbnail} does), never enlarged. {@code scale} maps the original's pixel coordinates (say, a
 * SAM part's box) onto the thumbnail.
 */
public record Thumbnail(byte[] png, int width, int height, double scale) {

  /** Thumbnail of the encoded image {@code bytes}; an undecodable image fails naming {@code what}. */
  public static Thumbnail of(byte[] bytes, int maxSide, String what) {
    RgbImage full;
    try {
      full = ImageDecoder.decode(bytes);
    } catch (ImageDecodeException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    double scale = Math.min(1.0, (double) maxSide / Math.max(full.width(), full.height()));
    int w = Math.max(1, (int) Math.round(full.width() * scale));
    int h = Math.max(1, (int) Math.round(full.height() * scale));
    RgbImage small = scale < 1.0 ? PilResize.resize(full, w, h, ResampleFilter.BICUBIC) : full;
    return new Thumbnail(encodePng(small), w, h, (double) w / full.width());
  }

  /** {@code data:image/png;base64,...}: the report embeds its images, so it opens offline as one file. */
  public String dataUri() {
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
  }

  static byte[] encodePng(RgbImage img) {
    BufferedImage out = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < img.height(); y++) {
      for (int x = 0; x < img.width(); x++) {
        out.setRGB(x, y, (img.get(x, y, 0) << 16) | (img.get(x, y, 1) << 8) | img.get(x, y, 2));
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(out, "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory: not expected
    }
    return bytes.toByteArray();
  }
}
