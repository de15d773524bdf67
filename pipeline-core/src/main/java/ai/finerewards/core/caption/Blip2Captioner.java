package ai.finerewards.core.caption;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.KvCache;
import ai.finerewards.core.model.KvCacheShape;
import ai.finerewards.core.model.KvStepTranslator;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy BLIP-2 captioning over an exported captioner directory, following the manifest's
 * {@code extra.generation} protocol, which reproduces transformers 4.46.3
 * {@code generate(pixel_values, do_sample=False, num_beams=1, max_new_tokens=N)}:
 *
 * <ol>
 *   <li>preprocess the images (BlipImageProcessor) and run {@code vision_prefix} once: Q prefix rows;
 *   <li>the LM sequence is {@code [prefix, embed_tokens(bos)]}, attention mask all ones;
 *   <li>up to N times: {@code next = argmax(lm(seq, mask)[:, -1])}; a finished row emits the pad
 *       id; append {@code embed_tokens(next)}; stop once every row produced an eos id;
 *   <li>decode {@code [bos] + generated} with special tokens skipped, then strip.
 * </ol>
 *
 * <p>Images of a batch are captioned together: every row of the batch has the same length at
 * every step (Q + 1 + steps so far), so the attention mask stays all ones, and rows that finished
 * early are padded with the pad id and carried along, as transformers does.
 *
 * <p>With a KV cache ({@code lm_cached.pt}, named by the manifest's
 * {@code extra.generation.kv_cache}, written by every export since) the first call runs the
 * Q + 1 prefix positions (the prefill) and each later step only the new token against the cached
 * keys and values, which stay on the model's device ({@link KvCache}). Older model directories
 * have only {@code lm.pt}, which re-runs the whole sequence every step; both give the same ids.
 *
 * <p>Not thread-safe: one instance per task thread. It holds three predictors on the JVM-wide
 * {@link ModelCache} (each model loads once per JVM) and a tokenizer; close it when the
 * partition ends.
 */
public final class Blip2Captioner implements AutoCloseable {
  private final Blip2ImagePreprocessor preprocessor;
  private final GenerationSettings generation;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> visionPrefix;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> embedTokens;
  private final PredictorLease<List<HostTensor>, long[]> lm;
  private final PredictorLease<KvStepTranslator.Step, long[]> lmCached;
  private final KvCacheShape kvShape;
  private final DataType floatType;
  private final HuggingFaceTokenizer tokenizer;
  private final int maxPositions;
  private final String origin;

  private Blip2Captioner(Blip2ImagePreprocessor preprocessor, GenerationSettings generation,
      PredictorLease<List<HostTensor>, List<HostTensor>> visionPrefix,
      PredictorLease<List<HostTensor>, List<HostTensor>> embedTokens,
      PredictorLease<List<HostTensor>, long[]> lm, PredictorLease<KvStepTranslator.Step, long[]> lmCached,
      KvCacheShape kvShape, DataType floatType, HuggingFaceTokenizer tokenizer, int maxPositions,
      String origin) {
    this.lmCached = lmCached;
    this.kvShape = kvShape;
    this.floatType = floatType;
    this.maxPositions = maxPositions;
    this.origin = origin;
    this.preprocessor = preprocessor;
    this.generation = generation;
    this.visionPrefix = visionPrefix;
    this.embedTokens = embedTokens;
    this.lm = lm;
    this.tokenizer = tokenizer;
  }

  /** The captioner of the configured {@code captioner} family on the task's device. */
  public static Blip2Captioner open(ModelRuntime runtime, List<String> gpuAddresses) {
    return open(runtime.directory("captioner"), runtime.device(gpuAddresses), runtime.models().dtype());
  }

  /**
   * The captioner of an exported directory.
   *
   * @param dtype {@code auto} or the manifest's dtype (see {@link TorchScriptModels#spec})
   */
  public static Blip2Captioner open(ModelDirectory dir, Device device, String dtype) {
    return open(dir, device, dtype, true);
  }

  /**
   * As {@link #open(ModelDirectory, Device, String)}; {@code useKvCache = false} runs the uncached
   * {@code lm.pt} even where the directory has {@code lm_cached.pt} (tests compare the two paths).
   */
  public static Blip2Captioner open(ModelDirectory dir, Device device, String dtype, boolean useKvCache) {
    dir.manifest().checkFamily("captioner");
    Blip2ImagePreprocessor pre = Blip2ImagePreprocessor.fromManifest(dir.manifest());
    GenerationSettings gen = GenerationSettings.fromManifest(dir.manifest());
    TensorTranslator tensors = TensorTranslator.forDtype(dir.manifest().dtype());
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      var vp = ModelCache.get().predictor(
          TorchScriptModels.spec(dir, "vision_prefix", device, dtype, false), tensors);
      opened.add(vp);
      var et = ModelCache.get().predictor(
          TorchScriptModels.spec(dir, "embed_tokens", device, dtype, false), tensors);
      opened.add(et);
      DataType floatType = "float16".equals(dir.manifest().dtype()) ? DataType.FLOAT16 : DataType.FLOAT32;
      KvCacheShape kv = useKvCache ? KvCacheShape.fromManifest(dir.manifest(), "generation", "kv_cache") : null;
      PredictorLease<List<HostTensor>, long[]> lm = null;
      PredictorLease<KvStepTranslator.Step, long[]> lmCached = null;
      if (kv != null) {
        lmCached = ModelCache.get().predictor(TorchScriptModels.spec(dir, kv.component(), device, dtype, false),
            new KvStepTranslator(floatType));
        opened.add(lmCached);
      } else {
        lm = ModelCache.get().predictor(TorchScriptModels.spec(dir, "lm", device, dtype, false),
            new LastTokenArgmaxTranslator(floatType));
        opened.add(lm);
      }
      // Only decode is used; no truncation, so DJL does not warn about a default max length.
      HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
          .optTokenizerPath(dir.tokenizerFile()).optTruncation(false).optPadding(false).build();
      return new Blip2Captioner(pre, gen, vp, et, lm, lmCached, kv, floatType, tok, maxPositions(dir.manifest()),
          dir.manifest().origin());
    } catch (IOException | RuntimeException e) {
      closeAll(opened);
      if (e instanceof ModelError me) {
        throw me;
      }
      throw new ModelError("cannot open the captioner in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The LM's position limit (config.text_config.max_position_embeddings), or MAX_VALUE if not recorded. */
  private static int maxPositions(ai.finerewards.core.model.ModelManifest m) {
    com.google.gson.JsonElement text = m.config().get("text_config");
    if (text != null && text.isJsonObject()) {
      com.google.gson.JsonElement n = text.getAsJsonObject().get("max_position_embeddings");
      if (n != null && n.isJsonPrimitive() && n.getAsJsonPrimitive().isNumber()) {
        return n.getAsInt();
      }
    }
    return Integer.MAX_VALUE;
  }

  public Blip2ImagePreprocessor preprocessor() {
    return preprocessor;
  }

  public GenerationSettings generation() {
    return generation;
  }

  /** Whether this captioner decodes with the KV cache ({@code lm_cached.pt}). */
  public boolean usesKvCache() {
    return lmCached != null;
  }

  /** Greedy captions of a batch of images, in order. */
  public List<Caption> caption(List<RgbImage> images, int maxNewTokens) {
    if (images.isEmpty()) {
      return List.of();
    }
    long[][] ids = generate(preprocessor.pixelValues(images), maxNewTokens, generation);
    List<Caption> out = new ArrayList<>(ids.length);
    for (long[] row : ids) {
      out.add(new Caption(decode(row), row));
    }
    return out;
  }

  /** {@code tokenizer.decode(ids, skip_special_tokens=True).strip()}. */
  public String decode(long[] ids) {
    return PythonStrings.strip(tokenizer.decode(ids, true));
  }

  /**
   * The greedy protocol on already preprocessed pixels: the rows transformers' generate returns
   * ([bos] + generated, finished rows padded), all of the same length.
   *
   * @param settings the special tokens (normally {@link #generation()})
   */
  public long[][] generate(HostTensor pixelValues, int maxNewTokens, GenerationSettings settings) {
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }
    // The last step feeds Q prefix rows + bos + (maxNewTokens - 1) generated tokens.
    long longest = (long) settings.numQueryTokens() + maxNewTokens;
    if (longest > maxPositions) {
      throw new ModelError("finerewards.caption.max-new-tokens = " + maxNewTokens + " needs " + longest
          + " LM positions but " + origin + " has text_config.max_position_embeddings = " + maxPositions
          + "; expected max-new-tokens <= " + (maxPositions - settings.numQueryTokens()));
    }
    try {
      HostTensor prefix = visionPrefix.predict(List.of(pixelValues)).get(0); // [B, Q, H]
      int b = (int) prefix.shape()[0];
      long[] bos = new long[b];
      Arrays.fill(bos, settings.bosTokenId());
      SequenceBuffer seq = new SequenceBuffer(prefix, b, maxNewTokens + 1);
      seq.append(embed(bos));
      List<long[]> steps = new ArrayList<>();
      steps.add(bos);
      try (LmSteps lmSteps = lmCached != null ? new CachedSteps(b) : new UncachedSteps()) {
        boolean[] done = new boolean[b];
        long[] next = lmSteps.first(seq);
        for (int step = 0; step < maxNewTokens; step++) {
          if (step > 0) {
            next = lmSteps.next(seq, embed(next));
          }
          boolean allDone = true;
          for (int r = 0; r < b; r++) {
            if (done[r]) {
              next[r] = settings.padTokenId();
            } else if (settings.isEos(next[r])) {
              done[r] = true;
            }
            allDone &= done[r];
          }
          steps.add(next);
          if (allDone) {
            break;
          }
        }
      }
      long[][] out = new long[b][];
      for (int r = 0; r < b; r++) {
        out[r] = new long[steps.size()];
        for (int t = 0; t < steps.size(); t++) {
          out[r][t] = steps.get(t)[r];
        }
      }
      return out;
    } catch (TranslateException e) {
      throw new ModelError("captioner forward failed: " + e.getMessage(), e);
    }
  }

  /** The LM's greedy steps: the argmax ids of the last position, one call per new token. */
  private interface LmSteps extends AutoCloseable {
    /** The prefix + bos sequence in {@code seq}: the first new ids. */
    long[] first(SequenceBuffer seq) throws TranslateException;

    /** One more token per row ({@code column}: its embeddings, [B, H] flat): the next ids. */
    long[] next(SequenceBuffer seq, float[] column) throws TranslateException;

    @Override
    void close();
  }

  /** lm.pt: every step re-runs the whole sequence. */
  private final class UncachedSteps implements LmSteps {
    @Override
    public long[] first(SequenceBuffer seq) throws TranslateException {
      return lm.predict(List.of(seq.embeds(), seq.mask()));
    }

    @Override
    public long[] next(SequenceBuffer seq, float[] column) throws TranslateException {
      seq.append(column);
      return first(seq);
    }

    @Override
    public void close() {}
  }

  /** lm_cached.pt: a prefill over prefix + bos, then one position per step against the cache. */
  private final class CachedSteps implements LmSteps {
    private final int rows;
    private final KvCache cache;

    CachedSteps(int rows) {
      this.rows = rows;
      this.cache = KvCache.empty(lmCached, rows, kvShape.layers(), kvShape.heads(), kvShape.headDim(), floatType);
    }

    @Override
    public long[] first(SequenceBuffer seq) throws TranslateException {
      return lmCached.predict(new KvStepTranslator.Step(seq.embeds(), cache));
    }

    @Override
    public long[] next(SequenceBuffer seq, float[] column) throws TranslateException {
      return lmCached.predict(new KvStepTranslator.Step(
          HostTensor.ofFloats(column, rows, 1, column.length / rows), cache));
    }

    @Override
    public void close() {
      cache.close();
    }
  }

  /** embed_tokens on one new id per row: [B, H] as a flat array. */
  private float[] embed(long[] ids) throws TranslateException {
    HostTensor t = embedTokens.predict(List.of(HostTensor.ofLongs(ids, ids.length, 1))).get(0);
    return t.floats();
  }

  @Override
  public void close() {
    closeAll(java.util.stream.Stream.of(visionPrefix, embedTokens, lm, lmCached, tokenizer)
        .filter(java.util.Objects::nonNull).toList());
  }

  private static void closeAll(List<? extends AutoCloseable> resources) {
    RuntimeException first = null;
    for (AutoCloseable c : resources) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = new ModelError("closing the captioner failed: " + e.getMessage(), e);
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * The LM input, grown one position per step: [B, capacity, H] rows kept in one host buffer so a
   * step copies only the new column.
   */
  private static final class SequenceBuffer {
    private final int rows;
    private final int hidden;
    private final int capacity;
    private final float[] data;
    private int length;

    SequenceBuffer(HostTensor prefix, int rows, int extra) {
      long[] s = prefix.shape();
      this.rows = rows;
      this.length = (int) s[1];
      this.hidden = (int) s[2];
      this.capacity = length + extra;
      this.data = new float[rows * capacity * hidden];
      float[] p = prefix.floats();
      for (int r = 0; r < rows; r++) {
        System.arraycopy(p, r * length * hidden, data, r * capacity * hidden, length * hidden);
      }
    }

    void append(float[] column) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(column, r * hidden, data, (r * capacity + length) * hidden, hidden);
      }
      length++;
    }

    HostTensor embeds() {
      float[] out = new float[rows * length * hidden];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(data, r * capacity * hidden, out, r * length * hidden, length * hidden);
      }
      return HostTensor.ofFloats(out, rows, length, hidden);
    }

    HostTensor mask() {
      long[] ones = new long[rows * length];
      Arrays.fill(ones, 1L);
      return HostTensor.ofLongs(ones, rows, length);
    }
  }
}
