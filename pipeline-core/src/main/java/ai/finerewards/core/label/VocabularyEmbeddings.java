package ai.finerewards.core.label;

import ai.finerewards.core.clip.ClipTextEmbedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CLIP text embeddings (projected, L2-normalised) of every label of a vocabulary, computed once
 * per executor JVM for a (CLIP model, device, vocabulary, template) key and shared by all tasks.
 */
public final class VocabularyEmbeddings {
  private static final Map<String, VocabularyEmbeddings> CACHE = new ConcurrentHashMap<>();
  private static final AtomicInteger COMPUTED = new AtomicInteger();

  private final List<String> labels;
  private final float[] embeddings;
  private final int dim;

  VocabularyEmbeddings(List<String> labels, float[] embeddings, int dim) {
    this.labels = List.copyOf(labels);
    this.embeddings = embeddings;
    this.dim = dim;
  }

  /** The cached embeddings of {@code key}, computing them on the first call in this JVM. */
  public static VocabularyEmbeddings cached(String key, java.util.function.Supplier<VocabularyEmbeddings> compute) {
    return CACHE.computeIfAbsent(key, k -> compute.get());
  }

  /** How many vocabularies this JVM embedded (tests check it stays at one per key). */
  public static int computedCount() {
    return COMPUTED.get();
  }

  /** Embeds {@code template} with each label through the text tower, {@code batch} labels at a time. */
  public static VocabularyEmbeddings compute(LabelVocabulary vocab, String template, ClipTextEmbedder embedder, int batch) {
    List<String> labels = vocab.labels();
    float[] all = null;
    int dim = -1;
    for (int start = 0; start < labels.size(); start += batch) {
      List<String> texts = new ArrayList<>();
      for (String l : labels.subList(start, Math.min(labels.size(), start + batch))) {
        texts.add(template.replace("{label}", l));
      }
      List<float[]> rows = embedder.embed(texts);
      if (all == null) {
        dim = rows.get(0).length;
        all = new float[labels.size() * dim];
      }
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(rows.get(i), 0, all, (start + i) * dim, dim);
      }
    }
    COMPUTED.incrementAndGet();
    return new VocabularyEmbeddings(labels, all, dim);
  }

  public List<String> labels() {
    return labels;
  }

  public int dim() {
    return dim;
  }

  /** Row {@code i} of the [labels, D] matrix starts at {@code i * dim}. */
  float[] matrix() {
    return embeddings;
  }
}
