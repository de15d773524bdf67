package ai.finerewards.core.segment;

import ai.finerewards.core.image.PilResize;
import ai.finerewards.core.image.PixelNormalization;
import ai.finerewards.core.image.ResampleFilter;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonObject;

/**
 * SamImageProcessor as the segmenter manifest records it: resize so the longest side is
 * {@code longest_edge} (PIL, uint8), rescale, normalise, pad bottom/right with 0.0; and the point
 * transform from original pixels to the resized frame.
 */
public final class SamPreprocessor {
  private final int longestEdge;
  private final int padH;
  private final int padW;
  private final ResampleFilter filter;
  private final PixelNormalization normalizer;

  /** One image ready for the encoder. */
  public record Prepared(float[] pixelValues, int originalH, int originalW, int resizedH, int resizedW) {
    /** x in original pixels to the resized frame (SamProcessor._normalize_coordinates). */
    public float pointX(double x) {
      return (float) (x * resizedW / originalW);
    }

    public float pointY(double y) {
      return (float) (y * resizedH / originalH);
    }
  }

  public SamPreprocessor(int longestEdge, int padH, int padW, ResampleFilter filter, PixelNormalization normalizer) {
    this.longestEdge = longestEdge;
    this.padH = padH;
    this.padW = padW;
    this.filter = filter;
    this.normalizer = normalizer;
  }

  /** From {@code preprocessing.image} of a segmenter manifest; a missing field names the manifest. */
  public static SamPreprocessor from(ModelManifest manifest) {
    try {
      JsonObject img = manifest.preprocessing().getAsJsonObject("image");
      JsonObject resize = img.getAsJsonObject("resize");
      JsonObject pad = img.getAsJsonObject("pad_size");
      return new SamPreprocessor(
          resize.get("longest_edge").getAsInt(),
          pad.get("height").getAsInt(),
          pad.get("width").getAsInt(),
          ResampleFilter.named(resize.get("resample").getAsString()),
          PixelNormalization.fromManifest(img, manifest.origin()));
    } catch (RuntimeException e) {
      throw new ModelError(manifest.origin() + ": preprocessing.image is not a SamImageProcessor description "
          + "(needs resize.longest_edge, resize.resample, pad_size, rescale_factor, image_mean, image_std): " + e);
    }
  }

  public int padH() {
    return padH;
  }

  public int padW() {
    return padW;
  }

  public Prepared prepare(RgbImage image) {
    int h = image.height();
    int w = image.width();
    double scale = (double) longestEdge / Math.max(h, w);
    int newH = (int) (h * scale + 0.5);
    int newW = (int) (w * scale + 0.5);
    RgbImage resized = PilResize.resize(image, newW, newH, filter);
    float[] dense = new float[3 * newH * newW];
    normalizer.toChw(resized, dense, 0);
    // Pad bottom and right with 0.0 after normalisation, as SamImageProcessor does.
    float[] out = new float[3 * padH * padW];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < newH; y++) {
        System.arraycopy(dense, (c * newH + y) * newW, out, (c * padH + y) * padW, newW);
      }
    }
    return new Prepared(out, h, w, newH, newW);
  }
}
