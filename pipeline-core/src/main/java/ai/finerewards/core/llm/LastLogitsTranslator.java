package ai.finerewards.core.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.TensorTranslator;
import java.util.List;

/**
 * lm.pt with (input_ids, attention_mask) in and only the last position's logits [B, V] out: the
 * full [B, T, V] logits stay native (for a 7B model they are hundreds of MB per batch).
 */
public final class LastLogitsTranslator implements NoBatchifyTranslator<List<HostTensor>, HostTensor> {

  @Override
  public NDList processInput(TranslatorContext ctx, List<HostTensor> inputs) {
    NDList list = new NDList(inputs.size());
    for (HostTensor t : inputs) {
      list.add(TensorTranslator.toNd(ctx.getNDManager(), t, DataType.FLOAT32));
    }
    return list;
  }

  @Override
  public HostTensor processOutput(TranslatorContext ctx, NDList outputs) {
    NDArray logits = outputs.get(0);
    return TensorTranslator.toHost(logits.get(":, -1, :"));
  }
}
