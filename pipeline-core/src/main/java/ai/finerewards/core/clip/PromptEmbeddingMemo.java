package ai.finerewards.core.clip;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prompt embeddings memoised by exact prompt text, so a prompt's N samples embed it once. Scope:
 * one per partition (per task), created and dropped with the partition's runner; the caption
 * stage keeps a prompt's samples together in one partition, so each distinct prompt is embedded
 * once per stage run. Not thread-safe.
 */
public final class PromptEmbeddingMemo {
  private final ClipTextEmbedder embedder;
  private final Map<String, float[]> memo = new HashMap<>();

  public PromptEmbeddingMemo(ClipTextEmbedder embedder) {
    this.embedder = embedder;
  }

  /** The embeddings of {@code prompts} in order; prompts not seen before are embedded in one batch. */
  public List<float[]> embeddings(List<String> prompts) {
    Set<String> missing = new LinkedHashSet<>();
    for (String p : prompts) {
      if (!memo.containsKey(p)) {
        missing.add(p);
      }
    }
    if (!missing.isEmpty()) {
      List<String> texts = new ArrayList<>(missing);
      List<float[]> rows = embedder.embed(texts);
      for (int i = 0; i < texts.size(); i++) {
        memo.put(texts.get(i), rows.get(i));
      }
    }
    List<float[]> out = new ArrayList<>(prompts.size());
    for (String p : prompts) {
      out.add(memo.get(p));
    }
    return out;
  }

  /** Distinct prompts embedded so far. */
  public int size() {
    return memo.size();
  }
}
