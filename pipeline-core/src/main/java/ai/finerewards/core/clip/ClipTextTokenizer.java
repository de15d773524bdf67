package ai.finerewards.core.clip;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * CLIP's text input as the manifest's {@code preprocessing.text} describes it: tokenizer.json ids
 * ({@code <|startoftext|> ... <|endoftext|>}), truncated to max_length keeping the final EOS, right
 * padded with the pad id to exactly max_length. Not thread-safe only in that it must be closed once.
 */
public final class ClipTextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long eosTokenId;
  private final long padTokenId;

  ClipTextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long eosTokenId, long padTokenId) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.eosTokenId = eosTokenId;
    this.padTokenId = padTokenId;
  }

  /** The tokenizer of a CLIP export; a ModelError naming the manifest field that is missing. */
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
    try {
      // Truncation and padding are done here, exactly as documented, not by the tokenizer.
      HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerFile)
          .optAddSpecialTokens(true)
          .optTruncation(false)
          .optPadding(false)
          .build();
      return new ClipTextTokenizer(tok, maxLength,
          number(t, "eos_token_id", manifest.origin()), number(t, "pad_token_id", manifest.origin()));
    } catch (IOException e) {
      throw new ModelError("cannot load tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
  }

  private static long number(JsonObject t, String field, String origin) {
    JsonElement e = t.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new ModelError(origin + ": field 'preprocessing.text." + field + "' = " + e + ": expected an integer");
    }
    return e.getAsLong();
  }

  public int maxLength() {
    return maxLength;
  }

  /** The ids of one text, truncated and padded to exactly {@link #maxLength()}. */
  public long[] ids(String text) {
    long[] raw = tokenizer.encode(text).getIds();
    long[] out = new long[maxLength];
    Arrays.fill(out, padTokenId);
    if (raw.length <= maxLength) {
      System.arraycopy(raw, 0, out, 0, raw.length);
    } else {
      System.arraycopy(raw, 0, out, 0, maxLength - 1);
      out[maxLength - 1] = eosTokenId; // the tower pools at the first EOS: it must survive
    }
    return out;
  }

  /** {@code input_ids} [B, maxLength] for a batch of texts. */
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
}
