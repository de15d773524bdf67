package ai.finerewards.core.train;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/** Decodes training images into the VAE's input: RGB, channels first, in [-1, 1]. */
final class TrainImages {
  private TrainImages() {}

  /** A training image that cannot be used; the message names the sample. */
  static final class BadImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadImageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Writes the image of {@code e} into {@code out} at {@code offset} as [3, height, width]:
   * (v / 255 - 0.5) / 0.5, as torchvision's ToTensor then Normalize([0.5], [0.5]) in diffusers'
   * training script.
   */
  static void decodeInto(TrainExample e, int height, int width, float[] out, int offset) {
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(e.image()));
    } catch (IOException ex) {
      throw new BadImageException("training sample " + e.id() + ": image bytes do not decode ("
          + ex.getMessage() + "); expected a PNG", ex);
    }
    if (img == null) {
      throw new BadImageException("training sample " + e.id() + ": image bytes ("
          + e.image().length + " bytes) are not a readable image; expected a PNG", null);
    }
    if (img.getHeight() != height || img.getWidth() != width) {
      throw new BadImageException("training sample " + e.id() + ": image is " + img.getWidth()
          + "x" + img.getHeight() + "; the diffusion model trains on " + width + "x" + height, null);
    }
    int plane = height * width;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = img.getRGB(x, y);
        int i = offset + y * width + x;
        out[i] = ((rgb >> 16 & 0xff) / 255f - 0.5f) / 0.5f;
        out[i + plane] = ((rgb >> 8 & 0xff) / 255f - 0.5f) / 0.5f;
        out[i + 2 * plane] = ((rgb & 0xff) / 255f - 0.5f) / 0.5f;
      }
    }
  }
}
