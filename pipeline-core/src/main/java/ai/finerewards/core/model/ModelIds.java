package ai.finerewards.core.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * The model id that tables record ({@code *_model_id}, see data-schemas' Tables):
 * {@code <manifest source.checkpoint>@<first 12 hex chars of source.weights_sha256>}, so lineage
 * survives renamed folders. Tiny test exports have no checkpoint: they are {@code tiny-<family>};
 * an export without a weights hash falls back to the manifest's own hash.
 */
public final class ModelIds {
  private ModelIds() {}

  public static String of(ModelDirectory dir) {
    ModelManifest m = dir.manifest();
    JsonObject source = m.source();
    String checkpoint = string(source, "checkpoint");
    if (checkpoint == null) {
      JsonElement tiny = source.get("tiny");
      boolean isTiny = tiny != null && tiny.isJsonPrimitive() && tiny.getAsBoolean();
      checkpoint = isTiny ? "tiny-" + m.family() : dir.localPath().getFileName().toString();
    }
    String sha = string(source, "weights_sha256");
    if (sha == null || sha.length() < 12) {
      sha = m.sha256();
    }
    return checkpoint + "@" + sha.substring(0, 12);
  }

  private static String string(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsString();
  }
}
