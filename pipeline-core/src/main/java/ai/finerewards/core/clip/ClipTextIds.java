package ai.finerewards.core.clip;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * CLIP text tower input ids from tokenizer.json: BOS ... EOS, truncated to max_length keeping the
 * final EOS, right-padded with pad_token_id (manifest preprocessing.text).
 */
public final class ClipTextIds {
  private final int maxLength;
  private final long eosId;
  private final long padId;

  public ClipTextIds(int maxLength, long eosId, long padId) {
    this.maxLength = maxLength;
    this.eosId = eosId;
    this.padId = padId;
  }

  public static ClipTextIds from(ModelManifest manifest) {
    try {
      JsonObject text = manifest.preprocessing().getAsJsonObject("text");
      return new ClipTextIds(text.get("max_length").getAsInt(), text.get("eos_token_id").getAsLong(),
          text.get("pad_token_id").getAsLong());
    } catch (RuntimeException e) {
      throw new ModelError(manifest.origin() + ": preprocessing.text needs max_length, eos_token_id and pad_token_id: " + e);
    }
  }

  public int maxLength() {
    return maxLength;
  }

  /** Row-major [texts.size(), maxLength] ids. */
  public long[] encode(HuggingFaceTokenizer tokenizer, List<String> texts) {
    long[] out = new long[texts.size() * maxLength];
    for (int r = 0; r < texts.size(); r++) {
      long[] ids = tokenizer.encode(texts.get(r)).getIds();
      int n = Math.min(ids.length, maxLength);
      System.arraycopy(ids, 0, out, r * maxLength, n);
      if (ids.length > maxLength) {
        out[r * maxLength + maxLength - 1] = eosId;
      }
      for (int k = n; k < maxLength; k++) {
        out[r * maxLength + k] = padId;
      }
    }
    return out;
  }
}
