package ai.finerewards.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.Serializable;

/**
 * transformers' rescale and normalize on uint8 pixels, with its exact float steps:
 * {@code float32(float64(v) * rescaleFactor)}, then {@code (x - mean[c]) / std[c]} in float32,
 * written channel-first (CHW). Mean and std are rounded to float32 first, as numpy does when it
 * builds them with the image's dtype.
 */
public record PixelNormalization(double rescaleFactor, float[] mean, float[] std) implements Serializable {
  public PixelNormalization {
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("image_mean and image_std need 3 values each");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /**
   * From a manifest's {@code preprocessing.image} object (fields {@code rescale_factor},
   * {@code image_mean}, {@code image_std}, {@code do_rescale}, {@code do_normalize}).
   *
   * @param origin where the object came from, for messages
   */
  public static PixelNormalization fromManifest(JsonObject image, String origin) {
    requireTrue(image, "do_rescale", origin);
    requireTrue(image, "do_normalize", origin);
    return new PixelNormalization(number(image, "rescale_factor", origin),
        triple(image, "image_mean", origin), triple(image, "image_std", origin));
  }

  /** Writes the CHW float values of {@code img} into {@code out} from {@code offset}. */
  public void toChw(RgbImage img, float[] out, int offset) {
    int plane = img.width() * img.height();
    byte[] px = img.pixels();
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        float x = (float) ((px[i * 3 + c] & 0xff) * rescaleFactor);
        out[offset + c * plane + i] = (x - mean[c]) / std[c];
      }
    }
  }

  static void requireTrue(JsonObject o, String field, String origin) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsBoolean()) {
      throw new IllegalArgumentException(origin + ": preprocessing.image." + field + " = " + e
          + ": expected true (other settings are not implemented)");
    }
  }

  static double number(JsonObject o, String field, String origin) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(origin + ": preprocessing.image." + field + " = " + e
          + ": expected a number");
    }
    return e.getAsDouble();
  }

  private static float[] triple(JsonObject o, String field, String origin) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 3) {
      throw new IllegalArgumentException(origin + ": preprocessing.image." + field + " = " + e
          + ": expected a list of 3 numbers");
    }
    JsonArray a = e.getAsJsonArray();
    // Through double, as numpy builds float32 arrays from Python floats.
    return new float[] {(float) a.get(0).getAsDouble(), (float) a.get(1).getAsDouble(),
        (float) a.get(2).getAsDouble()};
  }
}
