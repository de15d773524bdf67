package ai.finerewards.core.llm;

import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.Serializable;
import java.util.Map;

/**
 * The LLM's single-turn chat convention from manifest {@code preprocessing.chat}: the template with
 * {prompt}, the ids appended after the encoded text (answer prefix), the ids of the answers
 * "1", "2", "3", and the pad id for left padding.
 */
public record ChatFormat(String template, long[] answerPrefixIds, long[] answerTokenIds, long padTokenId, int maxPositions)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public static ChatFormat from(ModelManifest manifest) {
    try {
      JsonObject chat = manifest.preprocessing().getAsJsonObject("chat");
      JsonObject answer = chat.getAsJsonObject("answer");
      JsonArray labels = answer.getAsJsonArray("labels");
      if (labels.size() != 3 || !"1".equals(labels.get(0).getAsString()) || !"2".equals(labels.get(1).getAsString())
          || !"3".equals(labels.get(2).getAsString())) {
        throw new IllegalArgumentException("chat.answer.labels must be [\"1\", \"2\", \"3\"], got " + labels);
      }
      String padding = chat.get("padding_side").getAsString();
      if (!"left".equals(padding)) {
        throw new IllegalArgumentException("chat.padding_side must be left, got " + padding);
      }
      int maxPositions = manifest.config().has("max_position_embeddings")
          ? manifest.config().get("max_position_embeddings").getAsInt() : Integer.MAX_VALUE;
      String template = chat.get("template").getAsString();
      if (!template.contains("{prompt}")) {
        throw new IllegalArgumentException("chat.template has no {prompt}");
      }
      return new ChatFormat(template, longs(answer.getAsJsonArray("answer_prefix_ids")),
          longs(answer.getAsJsonArray("token_ids")), chat.get("pad_token_id").getAsLong(), maxPositions);
    } catch (RuntimeException e) {
      throw new ModelError(manifest.origin() + ": preprocessing.chat is not usable for scoring: " + e.getMessage());
    }
  }

  private static long[] longs(JsonArray a) {
    long[] v = new long[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsLong();
    }
    return v;
  }

  /** The full chat text for one question. */
  public String chatText(String question) {
    return Placeholders.fill(template, Map.of("prompt", question));
  }
}
