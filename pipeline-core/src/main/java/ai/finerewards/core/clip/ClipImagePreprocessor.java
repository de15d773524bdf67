package ai.finerewards.core.clip;

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
 * CLIPImageProcessor as the CLIP manifest describes it ({@code preprocessing.image}): resize so
 * the shortest edge is S (long edge {@code int(S * long / short)}, truncated) with PIL's filter on
 * uint8, center crop at {@code ((h - ch) // 2, (w - cw) // 2)}, rescale, normalise, CHW.
 * Stateless and thread-safe; the image tower's input for zero-shot labelling.
 */
public final class ClipImagePreprocessor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int shortestEdge;
  private final int cropWidth;
  private final int cropHeight;
  private final ResampleFilter filter;
  private final PixelNormalization normalization;

  public ClipImagePreprocessor(
      int shortestEdge, int cropWidth, int cropHeight, ResampleFilter filter, PixelNormalization normalization) {
    this.shortestEdge = shortestEdge;
    this.cropWidth = cropWidth;
    this.cropHeight = cropHeight;
    this.filter = filter;
    this.normalization = normalization;
  }

  /** From the manifest of a CLIP export; a ModelError naming the manifest and field when unusable. */
  public static ClipImagePreprocessor fromManifest(ModelManifest manifest) {
    String origin = manifest.origin();
    JsonElement image = manifest.preprocessing().get("image");
    if (image == null || !image.isJsonObject()) {
      throw new ModelError(origin + ": field 'preprocessing.image' = " + image
          + ": expected the CLIPImageProcessor settings object");
    }
    JsonObject o = image.getAsJsonObject();
    JsonObject resize = object(o, "resize", origin);
    JsonObject crop = object(o, "center_crop", origin);
    JsonElement doCrop = o.get("do_center_crop");
    if (doCrop == null || !doCrop.getAsBoolean()) {
      throw new ModelError(origin + ": field 'preprocessing.image.do_center_crop' = " + doCrop
          + ": expected true (other settings are not implemented)");
    }
    try {
      return new ClipImagePreprocessor(
          positive(resize, "shortest_edge", "resize", origin),
          positive(crop, "width", "center_crop", origin), positive(crop, "height", "center_crop", origin),
          ResampleFilter.named(resize.has("resample") ? resize.get("resample").getAsString() : "(missing)"),
          PixelNormalization.fromManifest(o, origin));
    } catch (IllegalArgumentException e) {
      throw new ModelError(e.getMessage().startsWith(origin) ? e.getMessage() : origin + ": " + e.getMessage(), e);
    }
  }

  private static JsonObject object(JsonObject o, String field, String origin) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonObject()) {
      throw new ModelError(origin + ": field 'preprocessing.image." + field + "' = " + e + ": expected an object");
    }
    return e.getAsJsonObject();
  }

  private static int positive(JsonObject r, String field, String where, String origin) {
    JsonElement e = r.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsInt() <= 0) {
      throw new IllegalArgumentException(origin + ": preprocessing.image." + where + "." + field + " = " + e
          + ": expected a positive integer");
    }
    return e.getAsInt();
  }

  /** The shortest-edge resize (uint8, before the crop). */
  public RgbImage resize(RgbImage img) {
    int w = img.width();
    int h = img.height();
    int shortSide = Math.min(w, h);
    int longSide = Math.max(w, h);
    // transformers: int(size * long / short) in floating point, truncated.
    int newLong = (int) ((double) shortestEdge * longSide / shortSide);
    int newW = w <= h ? shortestEdge : newLong;
    int newH = w <= h ? newLong : shortestEdge;
    return PilResize.resize(img, newW, newH, filter);
  }

  /** Resize then center crop: the uint8 image the tower sees. */
  public RgbImage resizeAndCrop(RgbImage img) {
    RgbImage r = resize(img);
    if (r.width() < cropWidth || r.height() < cropHeight) {
      throw new IllegalArgumentException("image of " + img.width() + "x" + img.height() + " resizes to "
          + r.width() + "x" + r.height() + ", smaller than the " + cropWidth + "x" + cropHeight + " crop");
    }
    return r.crop((r.width() - cropWidth) / 2, (r.height() - cropHeight) / 2, cropWidth, cropHeight);
  }

  /** {@code pixel_values} [B, 3, cropHeight, cropWidth] float32 for a batch of images. */
  public HostTensor pixelValues(List<RgbImage> images) {
    int per = 3 * cropWidth * cropHeight;
    float[] out = new float[images.size() * per];
    for (int i = 0; i < images.size(); i++) {
      normalization.toChw(resizeAndCrop(images.get(i)), out, i * per);
    }
    return HostTensor.ofFloats(out, images.size(), 3, cropHeight, cropWidth);
  }
}
