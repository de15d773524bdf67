package ai.finerewards.core.caption;

import ai.finerewards.core.image.PilResize;
import ai.finerewards.core.image.PixelNormalization;
import ai.finerewards.core.image.ResampleFilter;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.Serializable;
import java.util.List;

/**
 * BlipImageProcessor as the captioner's manifest describes it ({@code preprocessing.image}):
 * resize to exactly height x width with PIL's filter on uint8 (aspect ratio not kept), rescale,
 * normalise, CHW. Stateless and thread-safe.
 */
public final class Blip2ImagePreprocessor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int width;
  private final int height;
  private final ResampleFilter filter;
  private final PixelNormalization normalization;

  public Blip2ImagePreprocessor(int width, int height, ResampleFilter filter, PixelNormalization normalization) {
    this.width = width;
    this.height = height;
    this.filter = filter;
    this.normalization = normalization;
  }

  /** From the manifest of a captioner export; a ModelError naming the manifest and field when unusable. */
  public static Blip2ImagePreprocessor fromManifest(ModelManifest manifest) {
    String origin = manifest.origin();
    JsonElement image = manifest.preprocessing().get("image");
    if (image == null || !image.isJsonObject()) {
      throw new ModelError(origin + ": field 'preprocessing.image' = " + image
          + ": expected the BlipImageProcessor settings object");
    }
    JsonObject o = image.getAsJsonObject();
    try {
      JsonElement resize = o.get("resize");
      if (resize == null || !resize.isJsonObject()) {
        throw new IllegalArgumentException(origin + ": preprocessing.image.resize = " + resize
            + ": expected {height, width, resample}");
      }
      JsonObject r = resize.getAsJsonObject();
      return new Blip2ImagePreprocessor(
          positive(r, "width", origin), positive(r, "height", origin),
          ResampleFilter.named(r.has("resample") ? r.get("resample").getAsString() : "(missing)"),
          PixelNormalization.fromManifest(o, origin));
    } catch (IllegalArgumentException e) {
      throw new ModelError(e.getMessage().startsWith(origin) ? e.getMessage() : origin + ": " + e.getMessage(), e);
    }
  }

  private static int positive(JsonObject r, String field, String origin) {
    JsonElement e = r.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsInt() <= 0) {
      throw new IllegalArgumentException(origin + ": preprocessing.image.resize." + field + " = " + e
          + ": expected a positive integer");
    }
    return e.getAsInt();
  }

  /** The resized uint8 image, before rescaling (what PIL's resize returns). */
  public RgbImage resize(RgbImage img) {
    return PilResize.resize(img, width, height, filter);
  }

  /** {@code pixel_values} [B, 3, height, width] float32 for a batch of images. */
  public HostTensor pixelValues(List<RgbImage> images) {
    int per = 3 * width * height;
    float[] out = new float[images.size() * per];
    for (int i = 0; i < images.size(); i++) {
      normalization.toChw(resize(images.get(i)), out, i * per);
    }
    return HostTensor.ofFloats(out, images.size(), 3, height, width);
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }
}
