package ai.finerewards.core.caption;

import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * The captioner's cached LM graph as the manifest's {@code extra.generation.kv_cache} names it: the
 * component and the cache's layers, heads and head size (its inputs after {@code inputs_embeds}
 * are {@code past_key_i, past_value_i} per layer, [B, heads, P, headDim]).
 */
record KvCacheShape(String component, int layers, int heads, int headDim) {

  /**
   * From a captioner manifest; null when the directory predates the cache (no
   * {@code extra.generation.kv_cache}): such directories decode with {@code lm.pt}. A present but
   * inconsistent entry is a ModelError naming the field.
   */
  static KvCacheShape fromManifest(ModelManifest m) {
    JsonElement gen = m.extra().get("generation");
    JsonElement kv = gen != null && gen.isJsonObject() ? gen.getAsJsonObject().get("kv_cache") : null;
    if (kv == null || kv.isJsonNull()) {
      return null;
    }
    String field = "extra.generation.kv_cache";
    if (!kv.isJsonObject()) {
      throw new ModelError(m.origin() + ": field '" + field + "' = " + kv + ": expected an object");
    }
    JsonObject o = kv.getAsJsonObject();
    JsonElement c = o.get("component");
    if (c == null || !c.isJsonPrimitive() || !m.components().containsKey(c.getAsString())) {
      throw new ModelError(m.origin() + ": field '" + field + ".component' = " + c
          + ": expected the name of one of the components " + m.components().keySet());
    }
    KvCacheShape s = new KvCacheShape(c.getAsString(), positive(m, o, "layers"), positive(m, o, "heads"),
        positive(m, o, "head_dim"));
    int inputs = m.component(s.component()).inputs().size();
    int outputs = m.component(s.component()).outputs().size();
    if (inputs != 1 + 2 * s.layers() || outputs != 1 + 2 * s.layers()) {
      throw new ModelError(m.origin() + ": component '" + s.component() + "' has " + inputs + " inputs and "
          + outputs + " outputs; " + field + ".layers = " + s.layers() + " needs " + (1 + 2 * s.layers())
          + " of each (the new positions, then a key and a value per layer)");
    }
    return s;
  }

  private static int positive(ModelManifest m, JsonObject o, String name) {
    JsonElement e = o.get(name);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsInt() < 1) {
      throw new ModelError(m.origin() + ": field 'extra.generation.kv_cache." + name + "' = " + e
          + ": expected a positive integer");
    }
    return e.getAsInt();
  }
}
