package ai.finerewards.core.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * A cached decoder graph as a manifest's {@code kv_cache} entry names it (captioner:
 * {@code extra.generation.kv_cache}, llm: {@code extra.kv_cache}): the component and the cache's
 * layers, heads and head size (its inputs after the new positions are {@code past_key_i,
 * past_value_i} per layer, [B, heads, P, headDim]; its outputs the last logits and the presents).
 */
public record KvCacheShape(String component, int layers, int heads, int headDim) {

  /**
   * The entry at {@code path} under the manifest's {@code extra} (e.g. "generation", "kv_cache");
   * null when the directory predates the cache (no such entry): such directories run the uncached
   * {@code lm.pt}. A present but inconsistent entry is a ModelError naming the field.
   */
  public static KvCacheShape fromManifest(ModelManifest m, String... path) {
    JsonElement kv = m.extra();
    for (String key : path) {
      kv = kv != null && kv.isJsonObject() ? kv.getAsJsonObject().get(key) : null;
    }
    if (kv == null || kv.isJsonNull()) {
      return null;
    }
    String field = "extra." + String.join(".", path);
    if (!kv.isJsonObject()) {
      throw new ModelError(m.origin() + ": field '" + field + "' = " + kv + ": expected an object");
    }
    JsonObject o = kv.getAsJsonObject();
    JsonElement c = o.get("component");
    if (c == null || !c.isJsonPrimitive() || !m.components().containsKey(c.getAsString())) {
      throw new ModelError(m.origin() + ": field '" + field + ".component' = " + c
          + ": expected the name of one of the components " + m.components().keySet());
    }
    KvCacheShape s = new KvCacheShape(c.getAsString(), positive(m, o, field, "layers"),
        positive(m, o, field, "heads"), positive(m, o, field, "head_dim"));
    int inputs = m.component(s.component()).inputs().size();
    int outputs = m.component(s.component()).outputs().size();
    if (inputs != 1 + 2 * s.layers() || outputs != 1 + 2 * s.layers()) {
      throw new ModelError(m.origin() + ": component '" + s.component() + "' has " + inputs + " inputs and "
          + outputs + " outputs; " + field + ".layers = " + s.layers() + " needs " + (1 + 2 * s.layers())
          + " of each (the new positions, then a key and a value per layer)");
    }
    return s;
  }

  private static int positive(ModelManifest m, JsonObject o, String field, String name) {
    JsonElement e = o.get(name);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsInt() < 1) {
      throw new ModelError(m.origin() + ": field '" + field + "." + name + "' = " + e
          + ": expected a positive integer");
    }
    return e.getAsInt();
  }
}
