package ai.finerewards.core.clip;

import ai.djl.Device;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import java.util.ArrayList;
import java.util.List;

/**
 * CLIP text embeddings: tokenize (pad to 77), run the exported {@code text_encoder.pt}, which
 * returns the projected, L2-normalised embedding. Not thread-safe: one instance per task thread;
 * the model itself is loaded once per JVM by the {@link ModelCache}.
 */
public final class ClipTextEmbedder implements AutoCloseable {
  private final ClipTextTokenizer tokenizer;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> textEncoder;
  private long textsEmbedded;

  private ClipTextEmbedder(ClipTextTokenizer tokenizer, PredictorLease<List<HostTensor>, List<HostTensor>> textEncoder) {
    this.tokenizer = tokenizer;
    this.textEncoder = textEncoder;
  }

  /** The embedder of the configured {@code clip} family on the task's device. */
  public static ClipTextEmbedder open(ModelRuntime runtime, List<String> gpuAddresses) {
    return open(runtime.directory("clip"), runtime.device(gpuAddresses), runtime.models().dtype());
  }

  /** The embedder of an exported CLIP directory. */
  public static ClipTextEmbedder open(ModelDirectory dir, Device device, String dtype) {
    dir.manifest().checkFamily("clip");
    ClipTextTokenizer tok = ClipTextTokenizer.open(dir.manifest(), dir.tokenizerFile());
    try {
      var lease = ModelCache.get().predictor(TorchScriptModels.spec(dir, "text_encoder", device, dtype, false),
          TensorTranslator.forDtype(dir.manifest().dtype()));
      return new ClipTextEmbedder(tok, lease);
    } catch (RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  public ClipTextTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * One embedding per text, in order (each of unit length, as the tower returns it).
   *
   * <p>Each text runs alone, as a [1, 77] batch: a CPU matrix kernel may sum a row in another order
   * when the batch has another size or the row another position (seen as rewards 5e-8 apart for
   * the same caption), so only a fixed shape per text makes an embedding, and every reward built
   * on it, a pure function of the text whatever the batch, partition or executor. The text tower
   * is cheap next to captioning and segmentation, so this costs little.
   */
  public List<float[]> embed(List<String> texts) {
    List<float[]> rows = new ArrayList<>(texts.size());
    for (String text : texts) {
      HostTensor ids = HostTensor.ofLongs(tokenizer.batchIds(List.of(text)), 1, tokenizer.maxLength());
      rows.add(embedIds(ids).get(0));
    }
    return rows;
  }

  /** The tower on already tokenized {@code input_ids} [B, 77] (one call; rows may depend on B). */
  public List<float[]> embedIds(HostTensor ids) {
    HostTensor out;
    try {
      out = textEncoder.predict(List.of(ids)).get(0);
    } catch (TranslateException e) {
      throw new ModelError("CLIP text encoder forward failed: " + e.getMessage(), e);
    }
    int b = (int) out.shape()[0];
    int d = (int) out.shape()[1];
    float[] flat = out.floats();
    List<float[]> rows = new ArrayList<>(b);
    for (int i = 0; i < b; i++) {
      float[] row = new float[d];
      System.arraycopy(flat, i * d, row, 0, d);
      rows.add(row);
    }
    textsEmbedded += b;
    return rows;
  }

  /** Texts run through the tower by this instance (for memo tests and metrics). */
  public long textsEmbedded() {
    return textsEmbedded;
  }

  @Override
  public void close() {
    try {
      textEncoder.close();
    } finally {
      tokenizer.close();
    }
  }
}
