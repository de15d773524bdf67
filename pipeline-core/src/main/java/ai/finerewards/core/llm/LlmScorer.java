package ai.finerewards.core.llm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.translate.TranslateException;
import ai.djl.ndarray.types.DataType;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.KvCache;
import ai.finerewards.core.model.KvCacheShape;
import ai.finerewards.core.model.KvLogitsTranslator;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.model.PredictorLease;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rates (scene, label) pairs with an LLM, one forward pass per pair: every pair's question is
 * built afresh into the chat template (no shared, growing conversation), encoded with BOS,
 * followed by the answer prefix; the last position's logits at the ids of "1", "2", "3" give the
 * answer. Each pair runs alone, unpadded, so its answer (and the SAM reward built on it) is a pure
 * function of the pair: in a left-padded batch a row's logits depend, in their last bits, on the
 * other rows (the batch's length and size pick the CPU kernel's summation order), and so on how
 * Spark partitioned the pairs. {@link #lastLogits} still serves padded batches. Not thread-safe
 * (one lease per task thread).
 *
 * <p>With a KV cache ({@code lm_cached.pt}, manifest {@code extra.kv_cache}) the chat text every
 * question shares (the system prompt and the question template up to its first placeholder) runs
 * once per scorer; each pair then runs only its own ids against that cached prefix. The prefix's
 * ids are those of the shared text less its last id (a BPE merge may join that one with the
 * question's first characters); a pair whose ids do not start with them runs whole from an empty
 * cache. Either way a pair's answer is computed the same way whatever its batch, so it stays a
 * pure function of the pair; against the whole-row forward its logits differ by float32 rounding
 * only (the same sums in another blocking).
 */
public final class LlmScorer implements AutoCloseable {
  private static final AtomicLong FORWARD_PASSES = new AtomicLong();

  private final ChatFormat chat;
  private final String question;
  private final HuggingFaceTokenizer tokenizer;
  private final int batchSize;
  private final PredictorLease<List<HostTensor>, HostTensor> lm;
  private final PredictorLease<KvLogitsTranslator.Call, HostTensor> cachedLm;
  private final KvCacheShape kvShape;
  private final DataType floatType;
  private long[] prefixIds;
  private KvCache prefix;

  /** One question: the image's prompt (the scene) and a part label. */
  public record Pair(String scene, String label) {}

  /** A pair's answer, or an error (e.g. the question is longer than the model's positions). */
  public record Result(Pair pair, AnswerScore score, String error) {}

  public LlmScorer(ChatFormat chat, String question, HuggingFaceTokenizer tokenizer, int batchSize,
      PredictorLease<List<HostTensor>, HostTensor> lm) {
    this.chat = chat;
    this.question = question;
    this.tokenizer = tokenizer;
    this.batchSize = batchSize;
    this.lm = lm;
    this.cachedLm = null;
    this.kvShape = null;
    this.floatType = null;
  }

  /** A scorer on the cached graph {@code kv.component()} ({@code lm_cached.pt}) of a model of {@code floatType}. */
  public LlmScorer(ChatFormat chat, String question, HuggingFaceTokenizer tokenizer, int batchSize,
      PredictorLease<KvLogitsTranslator.Call, HostTensor> cachedLm, KvCacheShape kv, DataType floatType) {
    this.chat = chat;
    this.question = question;
    this.tokenizer = tokenizer;
    this.batchSize = batchSize;
    this.lm = null;
    this.cachedLm = cachedLm;
    this.kvShape = kv;
    this.floatType = floatType;
  }

  /** Whether pairs run against a cached chat prefix ({@code lm_cached.pt}). */
  public boolean usesKvCache() {
    return cachedLm != null;
  }

  /**
   * A scorer on the configured {@code llm} family for one task thread; closing it closes its
   * tokenizer and lease (the model stays in the cache).
   */
  public static LlmScorer open(ModelRuntime runtime, ScoreConfig config, List<String> gpuAddresses) {
    ModelDirectory dir = runtime.directory("llm");
    dir.manifest().checkFamily("llm");
    ChatFormat chat = ChatFormat.from(dir.manifest());
    HuggingFaceTokenizer tokenizer = openTokenizer(dir.tokenizerFile());
    try {
      KvCacheShape kv = KvCacheShape.fromManifest(dir.manifest(), "kv_cache");
      LlmScorer s;
      if (kv != null) {
        KvLogitsTranslator t = KvLogitsTranslator.forDtype(dir.manifest().dtype());
        s = new LlmScorer(chat, config.question(), tokenizer, config.batchSize(),
            ModelCache.get().predictor(runtime.torchScript("llm", kv.component(), gpuAddresses, false), t), kv,
            "float16".equals(dir.manifest().dtype()) ? DataType.FLOAT16 : DataType.FLOAT32);
      } else {
        PredictorLease<List<HostTensor>, HostTensor> lm = ModelCache.get().predictor(
            runtime.torchScript("llm", "lm", gpuAddresses, false), new LastLogitsTranslator());
        s = new LlmScorer(chat, config.question(), tokenizer, config.batchSize(), lm);
      }
      s.owned = true;
      s.modelId = ModelIds.of(dir);
      return s;
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * The LLM's tokenizer as the scorer uses it. No truncation or padding (as ClipTextTokenizer): the
   * chat text must reach the model whole, since its end holds the question and the answer prefix,
   * and the scorer pads batches itself. DJL's defaults would cut every text at 512 tokens and warn
   * about it on every load ("maxLength is not explicitly specified").
   */
  public static HuggingFaceTokenizer openTokenizer(java.nio.file.Path file) {
    try {
      return HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(true)
          .optTruncation(false)
          .optPadding(false)
          .build();
    } catch (java.io.IOException e) {
      throw new ModelError("cannot load " + file + ": " + e.getMessage(), e);
    }
  }

  private boolean owned;
  private String modelId = "";

  /** The LLM's model id ({@code <checkpoint>@<hash>}); empty for a scorer not built by {@link #open}. */
  public String modelId() {
    return modelId;
  }

  @Override
  public void close() {
    try {
      if (prefix != null) {
        prefix.close();
        prefix = null;
      }
    } finally {
      if (owned) {
        try {
          (lm != null ? lm : cachedLm).close();
        } finally {
          tokenizer.close();
        }
      }
    }
  }

  /**
   * LLM forward passes over questions run by scorers in this JVM (for the benchmark's
   * passes-per-pair figure); a cached chat prefix's one pass per scorer is not counted.
   */
  public static long forwardPasses() {
    return FORWARD_PASSES.get();
  }

  /** The chat text of one pair. */
  public String chatText(Pair p) {
    return chat.chatText(Placeholders.fill(question, Map.of("scene", p.scene(), "label", p.label())));
  }

  /** Token ids of one pair: the encoded chat text (with BOS) and the answer prefix. */
  public long[] ids(Pair p) {
    long[] text = tokenizer.encode(chatText(p)).getIds();
    long[] ids = new long[text.length + chat.answerPrefixIds().length];
    System.arraycopy(text, 0, ids, 0, text.length);
    System.arraycopy(chat.answerPrefixIds(), 0, ids, text.length, chat.answerPrefixIds().length);
    return ids;
  }

  /** Answers in input order. */
  public List<Result> score(List<Pair> pairs) throws TranslateException {
    List<Result> out = new ArrayList<>(pairs.size());
    List<Pair> batch = new ArrayList<>();
    List<long[]> rows = new ArrayList<>();
    Result[] results = new Result[pairs.size()];
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      long[] ids = ids(pairs.get(i));
      if (ids.length > chat.maxPositions()) {
        results[i] = new Result(pairs.get(i), null, "rating question is " + ids.length
            + " tokens, more than the LLM's " + chat.maxPositions() + " positions");
        continue;
      }
      batch.add(pairs.get(i));
      rows.add(ids);
      positions.add(i);
      if (rows.size() == batchSize) {
        flush(batch, rows, positions, results);
      }
    }
    if (!rows.isEmpty()) {
      flush(batch, rows, positions, results);
    }
    for (Result r : results) {
      out.add(r);
    }
    return out;
  }

  private void flush(List<Pair> batch, List<long[]> rows, List<Integer> positions, Result[] results)
      throws TranslateException {
    for (int r = 0; r < rows.size(); r++) {
      // One row per pass, whatever the batch: see the class comment.
      float[] logits = usesKvCache() ? cachedLastLogits(rows.get(r)) : lastLogits(List.of(rows.get(r))).floats();
      results[positions.get(r)] = new Result(batch.get(r),
          AnswerScore.fromLogits(logits, 0, logits.length, chat.answerTokenIds()), null);
    }
    batch.clear();
    rows.clear();
    positions.clear();
  }

  /** The ids the questions share: the chat template and the question up to its first placeholder, less one. */
  long[] prefixIds() {
    if (prefixIds == null) {
      String template = chat.template();
      int p = template.indexOf("{prompt}");
      int q = question.indexOf('{');
      String shared = template.substring(0, p) + (q < 0 ? question : question.substring(0, q));
      long[] ids = tokenizer.encode(shared).getIds();
      prefixIds = Arrays.copyOf(ids, Math.max(0, ids.length - 1));
    }
    return prefixIds;
  }

  /** One unpadded row's last logits [V] through lm_cached.pt, against the cached prefix when it applies. */
  float[] cachedLastLogits(long[] ids) throws TranslateException {
    long[] shared = prefixIds();
    boolean fits = shared.length > 0 && ids.length > shared.length
        && Arrays.equals(ids, 0, shared.length, shared, 0, shared.length);
    FORWARD_PASSES.incrementAndGet();
    if (!fits) {
      try (KvCache empty = emptyCache()) {
        return cachedLm.predict(new KvLogitsTranslator.Call(HostTensor.ofLongs(ids, 1, ids.length), empty, false))
            .floats();
      }
    }
    if (prefix == null) {
      KvCache c = emptyCache();
      try {
        cachedLm.predict(new KvLogitsTranslator.Call(HostTensor.ofLongs(shared, 1, shared.length), c, true));
      } catch (TranslateException | RuntimeException e) {
        c.close();
        throw e;
      }
      prefix = c;
    }
    long[] rest = Arrays.copyOfRange(ids, shared.length, ids.length);
    return cachedLm.predict(new KvLogitsTranslator.Call(HostTensor.ofLongs(rest, 1, rest.length), prefix, false))
        .floats();
  }

  private KvCache emptyCache() {
    return KvCache.empty(cachedLm, 1, kvShape.layers(), kvShape.heads(), kvShape.headDim(), floatType);
  }

  /** One forward pass over left-padded rows through the uncached lm.pt: the last position's logits [rows, V]. */
  public HostTensor lastLogits(List<long[]> rows) throws TranslateException {
    if (lm == null) {
      throw new IllegalStateException("this scorer runs lm_cached.pt (unpadded rows only); padded batches need lm.pt");
    }
    int t = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
    long[] ids = new long[rows.size() * t];
    long[] mask = new long[rows.size() * t];
    for (int r = 0; r < rows.size(); r++) {
      long[] row = rows.get(r);
      int pad = t - row.length;
      for (int k = 0; k < pad; k++) {
        ids[r * t + k] = chat.padTokenId();
      }
      System.arraycopy(row, 0, ids, r * t + pad, row.length);
      for (int k = pad; k < t; k++) {
        mask[r * t + k] = 1;
      }
    }
    FORWARD_PASSES.incrementAndGet();
    return lm.predict(List.of(HostTensor.ofLongs(ids, rows.size(), t), HostTensor.ofLongs(mask, rows.size(), t)));
  }
}
