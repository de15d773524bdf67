package ai.finerewards.core.caption;

import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The special tokens of the captioner's greedy protocol, from the manifest's
 * {@code extra.generation} (see exporter/docs/model-families.md, "captioner").
 *
 * @param bosTokenId the id the language model sequence starts with, after the prefix
 * @param eosTokenIds a row is finished once it produced one of these (kept in the output)
 * @param padTokenId what a finished row emits while others continue
 * @param numQueryTokens Q, the prefix length the vision tower gives
 */
public record GenerationSettings(long bosTokenId, long[] eosTokenIds, long padTokenId, int numQueryTokens)
    implements Serializable {
  public GenerationSettings {
    if (eosTokenIds.length == 0) {
      throw new IllegalArgumentException("at least one eos token id is needed");
    }
    eosTokenIds = eosTokenIds.clone();
  }

  /** From a captioner manifest; a ModelError naming the manifest and the field when one is missing. */
  public static GenerationSettings fromManifest(ModelManifest manifest) {
    String origin = manifest.origin();
    JsonElement gen = manifest.extra().get("generation");
    if (gen == null || !gen.isJsonObject()) {
      throw new ModelError(origin + ": field 'extra.generation' = " + gen
          + ": expected the captioner's generation settings");
    }
    JsonObject g = gen.getAsJsonObject();
    JsonElement prompt = g.get("prompt");
    if (prompt != null && !prompt.isJsonNull()) {
      throw new ModelError(origin + ": field 'extra.generation.prompt' = " + prompt
          + ": expected null (prompted captioning is not implemented)");
    }
    JsonElement eos = g.get("eos_token_ids");
    if (eos == null || !eos.isJsonArray() || eos.getAsJsonArray().isEmpty()) {
      throw new ModelError(origin + ": field 'extra.generation.eos_token_ids' = " + eos
          + ": expected a non-empty list of token ids");
    }
    JsonArray a = eos.getAsJsonArray();
    long[] eosIds = new long[a.size()];
    for (int i = 0; i < eosIds.length; i++) {
      eosIds[i] = a.get(i).getAsLong();
    }
    return new GenerationSettings(id(g, "bos_token_id", origin), eosIds, id(g, "pad_token_id", origin),
        (int) id(g, "num_query_tokens", origin));
  }

  private static long id(JsonObject g, String field, String origin) {
    JsonElement e = g.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsLong() < 0) {
      throw new ModelError(origin + ": field 'extra.generation." + field + "' = " + e
          + ": expected a non-negative integer");
    }
    return e.getAsLong();
  }

  /** Whether {@code id} ends a row. */
  public boolean isEos(long id) {
    for (long e : eosTokenIds) {
      if (e == id) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long[] eosTokenIds() {
    return eosTokenIds.clone();
  }

  /** The same settings with other end tokens (tests replay a golden with an overridden eos). */
  public GenerationSettings withEosTokenIds(long... ids) {
    return new GenerationSettings(bosTokenId, ids, padTokenId, numQueryTokens);
  }

  @Override
  public String toString() {
    return "GenerationSettings[bos=" + bosTokenId + ", eos=" + Arrays.toString(eosTokenIds) + ", pad="
        + padTokenId + ", Q=" + numQueryTokens + "]";
  }
}
