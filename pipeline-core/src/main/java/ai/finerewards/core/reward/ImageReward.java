package ai.finerewards.core.reward;

import ai.finerewards.core.image.RgbImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The built-in rewards: cheap, deterministic functions of the image alone that need no model. They
 * prove the loop learns (a reward the tiny random models can move) and serve as sanity baselines
 * next to the semantic rewards. The rank stage computes them from {@code samples.image}.
 */
public enum ImageReward {
  /**
   * Mean of the R, G and B values of every pixel, divided by 255: 0 (black) to 1 (white). Equal to
   * {@code numpy.asarray(img.convert("RGB")).mean() / 255}.
   */
  BRIGHTNESS("brightness") {
    @Override
    public double score(RgbImage image) {
      long sum = 0;
      for (byte b : image.pixels()) {
        sum += b & 0xff;
      }
      return sum / (255.0 * image.pixels().length);
    }
  },

  /**
   * DDPO's JPEG compressibility: minus the size in kilobytes (1000 bytes) of the image saved as a
   * baseline JPEG at quality 95 with 4:2:0 chroma subsampling, the settings of PIL's
   * {@code img.save(buf, "JPEG", quality=95)}. Java's encoder (IJG libjpeg) writes the same bytes
   * as PIL's libjpeg-turbo for these settings, so the value equals DDPO's. Higher = simpler image.
   */
  JPEG_COMPRESSIBILITY("jpeg_compressibility") {
    @Override
    public double score(RgbImage image) {
      return -jpegBytes(image, JPEG_QUALITY) / 1000.0;
    }
  };

  /** DDPO's quality setting; ImageIO's 0.95 maps to libjpeg's quality 95. */
  static final int JPEG_QUALITY = 95;

  private final String column;

  ImageReward(String column) {
    this.column = column;
  }

  /** The reward's name in rank config and in {@code ranked.rewards}. */
  public String column() {
    return column;
  }

  /** The reward of one decoded image; larger is better. */
  public abstract double score(RgbImage image);

  public static Optional<ImageReward> byColumn(String name) {
    return Arrays.stream(values()).filter(r -> r.column.equals(name)).findFirst();
  }

  /** "brightness, jpeg_compressibility", for error messages and docs. */
  public static String columns() {
    return Arrays.stream(values()).map(ImageReward::column).collect(Collectors.joining(", "));
  }

  /** Size in bytes of {@code image} as a baseline JFIF JPEG at {@code quality} (1..100). */
  static int jpegBytes(RgbImage image, int quality) {
    BufferedImage bgr = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
    byte[] dst = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
    byte[] src = image.pixels();
    for (int i = 0; i < src.length; i += 3) {
      dst[i] = src[i + 2];
      dst[i + 1] = src[i + 1];
      dst[i + 2] = src[i];
    }
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IllegalStateException("this JVM has no ImageIO JPEG writer (java.desktop module missing?)");
    }
    ImageWriter writer = writers.next();
    try {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality / 100f);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(src.length / 4);
      try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
        writer.setOutput(out);
        writer.write(null, new IIOImage(bgr, null, null), param);
      }
      return bytes.size();
    } catch (IOException e) {
      throw new UncheckedIOException("JPEG encoding of a " + image.width() + "x" + image.height() + " image failed", e);
    } finally {
      writer.dispose();
    }
  }
}
