package ai.finerewards.core.clip;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prompt embeddings memoised by exact prompt text, so a prompt's N samples embed it once.
 *
 * <p>Scope: per executor JVM. The entries live in a JVM-wide table per CLIP model (keyed by the
 * model's manifest hash), shared by every task thread of the executor; each thread embeds the
 * prompts it misses with its own {@link ClipTextEmbedder}. So a distinct prompt is embedded once
 * per executor JVM (once per stage run on local[N]; on a cluster at most once per executor): threads
 * embed their misses one at a time per model. The embedding is a pure function of model and text, so entries stay valid across
 * rounds. At most {@link #MAX_ENTRIES} prompts per model are kept (about 60 MB for ViT-L/14's
 * 768-d embeddings); beyond that, prompts are embedded without being stored.
 *
 * <p>Instances are not thread-safe: one per task thread, the table behind them is.
 */
public final class PromptEmbeddingMemo {
  public static final int MAX_ENTRIES = 20_000;
  private static final Map<String, Map<String, float[]>> SHARED = new ConcurrentHashMap<>();

  private final ClipTextEmbedder embedder;
  private final Map<String, float[]> memo;
  private long embedded;

  /** A memo on the JVM-wide table of the model identified by {@code modelKey}. */
  public PromptEmbeddingMemo(ClipTextEmbedder embedder, String modelKey) {
    this.embedder = embedder;
    this.memo = SHARED.computeIfAbsent(modelKey, k -> new ConcurrentHashMap<>());
  }

  /** The embeddings of {@code prompts} in order; prompts not in the table are embedded in one batch. */
  public List<float[]> embeddings(List<String> prompts) {
    Set<String> missing = new LinkedHashSet<>();
    for (String p : prompts) {
      if (!memo.containsKey(p)) {
        missing.add(p);
      }
    }
    Map<String, float[]> fresh = new java.util.HashMap<>();
    if (!missing.isEmpty()) {
      // One thread embeds at a time per model, so a prompt is embedded once per JVM; the text
      // tower is cheap next to captioning, so the others barely wait.
      synchronized (memo) {
        List<String> texts = new ArrayList<>();
        for (String p : missing) {
          if (!memo.containsKey(p)) {
            texts.add(p);
          }
        }
        if (!texts.isEmpty()) {
          List<float[]> rows = embedder.embed(texts);
          embedded += texts.size();
          for (int i = 0; i < texts.size(); i++) {
            fresh.put(texts.get(i), rows.get(i));
            if (memo.size() < MAX_ENTRIES) {
              memo.put(texts.get(i), rows.get(i));
            }
          }
        }
      }
    }
    List<float[]> out = new ArrayList<>(prompts.size());
    for (String p : prompts) {
      float[] e = fresh.get(p);
      out.add(e != null ? e : memo.get(p));
    }
    return out;
  }

  /** Prompts this instance ran through the text tower (memo misses). */
  public long embedded() {
    return embedded;
  }

  /** Prompts in the JVM-wide table of this model. */
  public int size() {
    return memo.size();
  }

  /** Empties every table (tests). */
  public static void clearAll() {
    SHARED.clear();
  }
}
