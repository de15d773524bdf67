package ai.finerewards.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The past key/values of one decoding run on an exported cached decoder graph (captioner
 * {@code lm_cached.pt}: inputs {@code (x, past_key_0, past_value_0, ...)}, outputs
 * {@code (last_logits, present_key_0, present_value_0, ...)}), kept native between calls on the
 * model's device. Only the B next ids cross to the host per step; the cache (for a 12-layer,
 * 768-wide LM and 60 positions, 4.4 MB per row) never does.
 *
 * <p>The arrays live in a sub-manager of the model's manager owned by this object, not in a
 * predict call's manager (which DJL closes when the call returns): {@link KvStepTranslator} moves
 * each call's presents here and frees the previous past. Close it when the run ends. Not
 * thread-safe: one per decoding run.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final int entries;
  private NDList past;

  private KvCache(NDManager manager, NDList past) {
    this.manager = manager;
    this.past = past;
    this.entries = past.size();
  }

  /**
   * An empty cache (P = 0) for {@code batch} rows: 2 x layers tensors [batch, heads, 0, headDim]
   * of {@code floatType} on the lease's model device; the first call on it is the prefill.
   */
  public static KvCache empty(PredictorLease<?, ?> lease, int batch, int layers, int heads, int headDim,
      DataType floatType) {
    if (batch < 1 || layers < 1 || heads < 1 || headDim < 1) {
      throw new IllegalArgumentException("KV cache of batch " + batch + ", " + layers + " layers, " + heads
          + " heads of " + headDim + ": every size must be >= 1");
    }
    NDManager m = lease.model().getNDManager().newSubManager();
    try {
      NDList past = new NDList(2 * layers);
      for (int i = 0; i < 2 * layers; i++) {
        past.add(m.zeros(new Shape(batch, heads, 0, headDim), floatType));
      }
      return new KvCache(m, past);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Positions held (P): 0 before the prefill. */
  public long length() {
    return past.get(0).getShape().get(2);
  }

  /** The past tensors, in the graph's input order (owned by this cache: do not close). */
  NDList past() {
    return past;
  }

  /** Takes a call's present tensors as the new past (moved into this cache's manager). */
  void advance(NDList present) {
    if (present.size() != entries) {
      throw new ModelError("a cached decoder step returned " + present.size() + " key/value tensors, expected "
          + entries + " (2 per layer)");
    }
    NDList old = past;
    for (NDArray a : present) {
      a.attach(manager);
    }
    past = present;
    for (NDArray a : old) {
      a.close();
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
