package ai.finerewards.core.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;

/**
 * One call of a cached decoder graph (see {@link KvCache}) that returns the last position's logits
 * [B, V] to the host. With {@code advance} the presents become the cache's past (to build a shared
 * prefix); without, they are dropped with the call and the cache is left as it was, so one cached
 * prefix serves any number of continuations (the graph concatenates, never writes into the past).
 */
public final class KvLogitsTranslator implements NoBatchifyTranslator<KvLogitsTranslator.Call, HostTensor> {
  private static final String CALL = "finerewards.kv-call";
  private final DataType floatType;

  /** New positions ({@code input_ids} [B, T] or embeddings) continuing {@code cache}. */
  public record Call(HostTensor input, KvCache cache, boolean advance) {}

  /** @param floatType the dtype float inputs are cast to: the model's (FLOAT32 or FLOAT16) */
  public KvLogitsTranslator(DataType floatType) {
    this.floatType = floatType;
  }

  /** For a model of the manifest dtype {@code float32} or {@code float16}. */
  public static KvLogitsTranslator forDtype(String dtype) {
    return new KvLogitsTranslator("float16".equals(dtype) ? DataType.FLOAT16 : DataType.FLOAT32);
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Call call) {
    ctx.setAttachment(CALL, call);
    NDList past = call.cache().past();
    NDList list = new NDList(past.size() + 1);
    list.add(TensorTranslator.toNd(ctx.getNDManager(), call.input(), floatType));
    list.addAll(past);
    return list;
  }

  @Override
  public HostTensor processOutput(TranslatorContext ctx, NDList outputs) {
    HostTensor logits = TensorTranslator.toHost(outputs.get(0));
    Call call = (Call) ctx.getAttachment(CALL);
    if (call.advance()) {
      // The outputs belong to this call's manager, which DJL closes on return.
      call.cache().advance(outputs.subNDList(1));
    }
    return logits;
  }
}
