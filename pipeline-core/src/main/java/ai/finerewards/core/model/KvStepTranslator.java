package ai.finerewards.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;

/**
 * One call of a cached decoder graph (see {@link KvCache}): the new positions' inputs from the host
 * and the cache's past in, the argmax of {@code last_logits} [B, V] out (torch's argmax returns the
 * first maximum, i.e. the lowest id on ties, as transformers' greedy search does); the presents
 * stay native and become the cache's past.
 */
public final class KvStepTranslator implements NoBatchifyTranslator<KvStepTranslator.Step, long[]> {
  private final DataType floatType;

  /** The call's new positions ({@code inputs_embeds} [B, T, H] or ids) and the cache they extend. */
  public record Step(HostTensor input, KvCache cache) {}

  /** @param floatType the dtype float inputs are cast to: the model's (FLOAT32 or FLOAT16) */
  public KvStepTranslator(DataType floatType) {
    this.floatType = floatType;
  }

  /** For a model of the manifest dtype {@code float32} or {@code float16}. */
  public static KvStepTranslator forDtype(String dtype) {
    return new KvStepTranslator("float16".equals(dtype) ? DataType.FLOAT16 : DataType.FLOAT32);
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Step step) {
    ctx.setAttachment(CACHE, step.cache());
    NDList past = step.cache().past();
    NDList list = new NDList(past.size() + 1);
    list.add(TensorTranslator.toNd(ctx.getNDManager(), step.input(), floatType));
    list.addAll(past);
    return list;
  }

  @Override
  public long[] processOutput(TranslatorContext ctx, NDList outputs) {
    NDArray logits = outputs.get(0); // [B, V]
    long[] ids = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
    // The outputs belong to this call's manager (the one of its first input), which DJL closes on
    // return: the presents move to the cache first.
    ((KvCache) ctx.getAttachment(CACHE)).advance(outputs.subNDList(1));
    return ids;
  }

  private static final String CACHE = "finerewards.kv-cache";
}
