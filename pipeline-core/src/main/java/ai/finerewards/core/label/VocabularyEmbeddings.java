package ai.finerewards.core.label;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.clip.ClipTextIds;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.PredictorLease;
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

  /** A function that embeds a batch of [n, maxLength] ids into [n, D] (the text tower). */
  public interface TextTower {
    HostTensor embed(HostTensor ids) throws TranslateException;
  }

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
  public static VocabularyEmbeddings compute(LabelVocabulary vocab, String template, HuggingFaceTokenizer tokenizer,
      ClipTextIds ids, PredictorLease<List<HostTensor>, List<HostTensor>> textEncoder, int batch) {
    List<String> labels = vocab.labels();
    float[] all = null;
    int dim = -1;
    try {
      for (int start = 0; start < labels.size(); start += batch) {
        List<String> texts = new ArrayList<>();
        for (String l : labels.subList(start, Math.min(labels.size(), start + batch))) {
          texts.add(template.replace("{label}", l));
        }
        long[] idArr = ids.encode(tokenizer, texts);
        HostTensor out = textEncoder.predict(List.of(HostTensor.ofLongs(idArr, texts.size(), ids.maxLength()))).get(0);
        if (all == null) {
          dim = (int) out.shape()[1];
          all = new float[labels.size() * dim];
        }
        System.arraycopy(out.floats(), 0, all, start * dim, texts.size() * dim);
      }
    } catch (TranslateException e) {
      throw new IllegalStateException("CLIP text tower failed on the label vocabulary " + vocab.source(), e);
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
