package ai.finerewards.core.clip;

import ai.finerewards.core.image.PilResize;
import ai.finerewards.core.image.PixelNormalizer;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * CLIPImageProcessor as the clip manifest records it: shortest edge to S with PIL bicubic on uint8
 * (long edge {@code int(S * long / short)}), center crop, rescale, normalise, CHW.
 */
public final class ClipImagePreprocessor {
  private final int shortestEdge;
  private final int cropH;
  private final int cropW;
  private final PilResize.Filter filter;
  private final PixelNormalizer normalizer;

  public ClipImagePreprocessor(int shortestEdge, int cropH, int cropW, PilResize.Filter filter, PixelNormalizer normalizer) {
    this.shortestEdge = shortestEdge;
    this.cropH = cropH;
    this.cropW = cropW;
    this.filter = filter;
    this.normalizer = normalizer;
  }

  /** From {@code preprocessing.image} of a clip manifest; a missing field names the manifest. */
  public static ClipImagePreprocessor from(ModelManifest manifest) {
    try {
      JsonObject img = manifest.preprocessing().getAsJsonObject("image");
      JsonObject resize = img.getAsJsonObject("resize");
      JsonObject crop = img.getAsJsonObject("center_crop");
      return new ClipImagePreprocessor(resize.get("shortest_edge").getAsInt(),
          crop.get("height").getAsInt(), crop.get("width").getAsInt(),
          PilResize.Filter.named(resize.get("resample").getAsString()),
          new PixelNormalizer(img.get("rescale_factor").getAsDouble(),
              floats(img.getAsJsonArray("image_mean")), floats(img.getAsJsonArray("image_std"))));
    } catch (RuntimeException e) {
      throw new ModelError(manifest.origin() + ": preprocessing.image is not a CLIPImageProcessor description "
          + "(needs resize.shortest_edge, resize.resample, center_crop, rescale_factor, image_mean, image_std): " + e);
    }
  }

  private static float[] floats(JsonArray a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = a.get(i).getAsFloat();
    }
    return f;
  }

  public int height() {
    return cropH;
  }

  public int width() {
    return cropW;
  }

  /** The shortest-edge resize alone (exposed for the golden test of the intermediate image). */
  public RgbImage resize(RgbImage image) {
    int h = image.height();
    int w = image.width();
    int shortSide = Math.min(h, w);
    int longSide = Math.max(h, w);
    int newLong = (int) ((double) (shortestEdge * longSide) / shortSide);
    return h <= w
        ? PilResize.resize(image, shortestEdge, newLong, filter)
        : PilResize.resize(image, newLong, shortestEdge, filter);
  }

  /** Writes the preprocessed image as [3, cropH, cropW] into {@code out} at {@code offset}. */
  public void write(RgbImage image, float[] out, int offset) {
    RgbImage resized = resize(image);
    int top = (resized.height() - cropH) / 2;
    int left = (resized.width() - cropW) / 2;
    if (top < 0 || left < 0) {
      throw new IllegalStateException("resized image " + resized.height() + "x" + resized.width()
          + " is smaller than the crop " + cropH + "x" + cropW);
    }
    normalizer.writeChw(resized.crop(top, left, top + cropH, left + cropW), out, offset, cropH, cropW);
  }

  public float[] preprocess(RgbImage image) {
    float[] out = new float[3 * cropH * cropW];
    write(image, out, 0);
    return out;
  }
}
