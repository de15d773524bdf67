package ai.finerewards.core.diffusion;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.model.ModelError;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Tokenizes prompts for a CLIP text encoder as diffusers' StableDiffusionPipeline does
 * ({@code tokenizer(prompt, padding="max_length", max_length=77, truncation=True)}): BOS, the
 * prompt's tokens, EOS, padded with the pad id to the model's maximum length. A longer prompt loses
 * its last tokens (BOS and EOS stay), and the number dropped is reported so the stage can count
 * truncations, as diffusers logs them.
 *
 * <p>Wraps DJL's HuggingFace tokenizer over the exported {@code tokenizer.json}, with the file's own
 * truncation and padding switched off: this class applies the limit from the manifest. Not
 * thread-safe in the sense of sharing across closes; encoding itself is thread-safe.
 */
public final class ClipPromptTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final Path file;
  private final int maxLength;
  private final long bosId;
  private final long eosId;
  private final long padId;

  private ClipPromptTokenizer(HuggingFaceTokenizer tokenizer, Path file, int maxLength, long bosId, long eosId, long padId) {
    this.tokenizer = tokenizer;
    this.file = file;
    this.maxLength = maxLength;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
  }

  /**
   * Opens {@code tokenizerFile} with the limits of a diffusion manifest's
   * {@code preprocessing.tokenizer} object ({@code max_length}, {@code bos_token_id},
   * {@code eos_token_id}, {@code pad_token_id}).
   */
  public static ClipPromptTokenizer open(Path tokenizerFile, JsonObject settings, String origin) {
    int maxLength = intField(settings, "max_length", origin);
    if (maxLength < 2) {
      throw new ModelError(origin + ": preprocessing.tokenizer.max_length = " + maxLength + ": expected >= 2");
    }
    long bos = intField(settings, "bos_token_id", origin);
    long eos = intField(settings, "eos_token_id", origin);
    long pad = intField(settings, "pad_token_id", origin);
    try {
      HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerFile)
          .optAddSpecialTokens(true)
          .optTruncation(false)
          .optPadding(false)
          .build();
      return new ClipPromptTokenizer(tok, tokenizerFile, maxLength, bos, eos, pad);
    } catch (IOException | RuntimeException e) {
      throw new ModelError("cannot load tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
  }

  public int maxLength() {
    return maxLength;
  }

  /** The prompt's ids, padded or truncated to {@link #maxLength()}. */
  public PromptTokens encode(String prompt) {
    Encoding e = tokenizer.encode(prompt, true, false);
    long[] raw = e.getIds();
    if (raw.length < 2 || raw[0] != bosId || raw[raw.length - 1] != eosId) {
      throw new ModelError(file + ": encoding \"" + abbreviate(prompt) + "\" gave ids without BOS " + bosId
          + " ... EOS " + eosId + "; the tokenizer does not match the manifest's preprocessing.tokenizer");
    }
    long[] ids = new long[maxLength];
    java.util.Arrays.fill(ids, padId);
    int truncated = Math.max(0, raw.length - maxLength);
    if (truncated == 0) {
      System.arraycopy(raw, 0, ids, 0, raw.length);
    } else {
      // Keep BOS and the first maxLength-2 prompt tokens, then EOS: what HF truncation gives.
      System.arraycopy(raw, 0, ids, 0, maxLength - 1);
      ids[maxLength - 1] = eosId;
    }
    return new PromptTokens(ids, truncated);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static int intField(JsonObject settings, String key, String origin) {
    if (settings == null || !settings.has(key) || !settings.get(key).isJsonPrimitive()) {
      throw new ModelError(origin + ": preprocessing.tokenizer." + key + " is missing: expected an integer");
    }
    return settings.get(key).getAsInt();
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
