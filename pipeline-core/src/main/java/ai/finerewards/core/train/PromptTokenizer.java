package ai.finerewards.core.train;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.List;

/**
 * Token ids of prompts for the diffusion model's CLIP text encoder, as diffusers' pipelines ask
 * the tokenizer: padding to max length, truncation keeping the end-of-text token.
 */
public final class PromptTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long padId;
  private final long eosId;

  private PromptTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long padId, long eosId) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.padId = padId;
    this.eosId = eosId;
  }

  public static PromptTokenizer open(ModelDirectory dir) {
    JsonObject config = dir.manifest().config();
    String origin = dir.manifest().origin();
    try {
      int maxLength = config.get("text_max_length").getAsInt();
      JsonObject te = config.getAsJsonObject("text_encoder");
      long pad = te.get("pad_token_id").getAsLong();
      long eos = te.get("eos_token_id").getAsLong();
      return new PromptTokenizer(HuggingFaceTokenizer.newInstance(dir.tokenizerFile()),
          maxLength, pad, eos);
    } catch (IOException e) {
      throw new ModelError("cannot load tokenizer " + dir.tokenizerFile() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ModelError(origin + ": expected config.text_max_length and"
          + " config.text_encoder.{pad_token_id, eos_token_id} (" + e + ")", e);
    }
  }

  /** Ids [prompts.size(), maxLength], row-major. */
  public long[] encode(List<String> prompts) {
    long[] out = new long[prompts.size() * maxLength];
    for (int r = 0; r < prompts.size(); r++) {
      long[] ids = tokenizer.encode(prompts.get(r)).getIds();
      int n = Math.min(ids.length, maxLength);
      System.arraycopy(ids, 0, out, r * maxLength, n);
      if (ids.length > maxLength) {
        out[r * maxLength + maxLength - 1] = eosId;
      }
      for (int i = n; i < maxLength; i++) {
        out[r * maxLength + i] = padId;
      }
    }
    return out;
  }

  public int maxLength() {
    return maxLength;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
