package ai.finerewards.core.caption;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.TensorTranslator;
import java.util.List;

/**
 * The greedy step on the language model: ({@code inputs_embeds}, {@code attention_mask}) in, the
 * argmax over the vocabulary at the last position of every row out. The reduction runs where the
 * model runs, so only B ids cross to the host instead of [B, T, V] logits. torch's argmax returns
 * the first maximum, i.e. the lowest id on ties, as transformers' greedy search does.
 */
final class LastTokenArgmaxTranslator implements NoBatchifyTranslator<List<HostTensor>, long[]> {
  private final DataType floatType;

  LastTokenArgmaxTranslator(DataType floatType) {
    this.floatType = floatType;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, List<HostTensor> inputs) {
    NDManager m = ctx.getNDManager();
    NDList list = new NDList(inputs.size());
    for (HostTensor t : inputs) {
      list.add(TensorTranslator.toNd(m, t, floatType));
    }
    return list;
  }

  @Override
  public long[] processOutput(TranslatorContext ctx, NDList outputs) {
    NDArray logits = outputs.get(0); // [B, T, V]
    NDArray last = logits.get(":, -1"); // [B, V]
    return last.argMax(1).toType(DataType.INT64, false).toLongArray();
  }
}
