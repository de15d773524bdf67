package ai.finerewards.core.clip;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The one CLIP text tokenizer, for the CLIP scorer's text tower and the diffusion model's text
 * encoder alike, as transformers' {@code tokenizer(text, padding="max_length", max_length=77,
 * truncation=True)} gives it: BOS, the text's tokens, EOS, right padded with the pad id to exactly
 * max_length. A longer text loses its last tokens (BOS and EOS stay) and the number dropped is
 * reported, so the generate stage can count truncations as diffusers logs them.
 *
 * <p>Wraps DJL's HuggingFace tokenizer over the exported {@code tokenizer.json}, with the file's own
 * truncation and padding switched off (both exports store them): this class applies the limit from
 * the manifest. The two exports describe the limit in different manifest objects, hence the two
 * factories. Encoding is thread-safe; close once.
 */
public final class ClipTextTokenizer implements AutoCloseable {
  /** Marks "BOS not checked": the CLIP export's reader never checked it. */
  private static final long UNCHECKED = Long.MIN_VALUE;

  private final HuggingFaceTokenizer tokenizer;
  private final Path file;
  private final int maxLength;
  private final long bosId;
  private final long eosId;
  private final long padId;

  private ClipTextTokenizer(HuggingFaceTokenizer tokenizer, Path file, int maxLength, long bosId, long eosId, long padId) {
    this.tokenizer = tokenizer;
    this.file = file;
    this.maxLength = maxLength;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
  }

  /** The tokenizer of a CLIP export ({@code preprocessing.text}); a ModelError names a missing field. */
  public static ClipTextTokenizer open(ModelManifest manifest, Path tokenizerFile) {
    JsonElement text = manifest.preprocessing().get("text");
    if (text == null || !text.isJsonObject()) {
      throw new ModelError(manifest.origin() + ": field 'preprocessing.text' = " + text
          + ": expected the CLIP tokenizer settings object");
    }
    JsonObject t = text.getAsJsonObject();
    int maxLength = (int) number(t, "max_length", manifest.origin());
    if (maxLength < 2) {
      throw new ModelError(manifest.origin() + ": field 'preprocessing.text.max_length' = " + maxLength
          + ": expected at least 2 (BOS and EOS)");
    }
    long eos = number(t, "eos_token_id", manifest.origin());
    long pad = number(t, "pad_token_id", manifest.origin());
    return load(tokenizerFile, maxLength, UNCHECKED, eos, pad);
  }

  /** The text-encoder tokenizer of a diffusion export (its manifest's {@code preprocessing.tokenizer}). */
  public static ClipTextTokenizer forDiffusion(ModelDirectory dir) {
    JsonElement settings = dir.manifest().preprocessing().get("tokenizer");
    return forDiffusion(dir.tokenizerFile(), settings != null && settings.isJsonObject() ? settings.getAsJsonObject() : null,
        dir.manifest().origin());
  }

  /**
   * Opens {@code tokenizerFile} with the limits of a diffusion manifest's
   * {@code preprocessing.tokenizer} object ({@code max_length}, {@code bos_token_id},
   * {@code eos_token_id}, {@code pad_token_id}); every encoding is checked to start with BOS and end
   * with EOS, so a tokenizer.json that does not match the manifest fails loudly.
   */
  public static ClipTextTokenizer forDiffusion(Path tokenizerFile, JsonObject settings, String origin) {
    int maxLength = intField(settings, "max_length", origin);
    if (maxLength < 2) {
      throw new ModelError(origin + ": preprocessing.tokenizer.max_length = " + maxLength + ": expected >= 2");
    }
    long bos = intField(settings, "bos_token_id", origin);
    long eos = intField(settings, "eos_token_id", origin);
    long pad = intField(settings, "pad_token_id", origin);
    return load(tokenizerFile, maxLength, bos, eos, pad);
  }

  private static ClipTextTokenizer load(Path tokenizerFile, int maxLength, long bos, long eos, long pad) {
    try {
      HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerFile)
          .optAddSpecialTokens(true)
          .optTruncation(false)
          .optPadding(false)
          .build();
      return new ClipTextTokenizer(tok, tokenizerFile, maxLength, bos, eos, pad);
    } catch (IOException | RuntimeException e) {
      throw new ModelError("cannot load tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
  }

  public int maxLength() {
    return maxLength;
  }

  /** The text's ids, padded or truncated to {@link #maxLength()}, and how many tokens were dropped. */
  public PromptTokens encode(String text) {
    long[] raw = tokenizer.encode(text, true, false).getIds();
    if (bosId != UNCHECKED && (raw.length < 2 || raw[0] != bosId || raw[raw.length - 1] != eosId)) {
      throw new ModelError(file + ": encoding \"" + abbreviate(text) + "\" gave ids without BOS " + bosId
          + " ... EOS " + eosId + "; the tokenizer does not match the manifest's preprocessing.tokenizer");
    }
    long[] ids = new long[maxLength];
    Arrays.fill(ids, padId);
    int truncated = Math.max(0, raw.length - maxLength);
    if (truncated == 0) {
      System.arraycopy(raw, 0, ids, 0, raw.length);
    } else {
      // Keep BOS and the first maxLength-2 tokens, then EOS, as HF truncation does: the text tower
      // pools at the first EOS, so it must survive.
      System.arraycopy(raw, 0, ids, 0, maxLength - 1);
      ids[maxLength - 1] = eosId;
    }
    return new PromptTokens(ids, truncated);
  }

  /** The ids of one text, truncated and padded to exactly {@link #maxLength()}. */
  public long[] ids(String text) {
    return encode(text).ids();
  }

  /** {@code input_ids} [B, maxLength], row-major, for a batch of texts. */
  public long[] batchIds(List<String> texts) {
    long[] out = new long[texts.size() * maxLength];
    for (int i = 0; i < texts.size(); i++) {
      System.arraycopy(ids(texts.get(i)), 0, out, i * maxLength, maxLength);
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static long number(JsonObject t, String field, String origin) {
    JsonElement e = t.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new ModelError(origin + ": field 'preprocessing.text." + field + "' = " + e + ": expected an integer");
    }
    return e.getAsLong();
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
