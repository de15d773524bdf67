package ai.finerewards.core.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Passes NDArrays created by the caller straight to a TorchScript component and hands the outputs
 * to the caller's manager (so the predictor's per-call manager, closed after each call, frees only
 * the casts it made). Float inputs are cast to the component's dtype; float16 outputs come back as
 * float32, so the sampler's arithmetic is float32 whatever the model runs in.
 */
public final class NdCallTranslator implements NoBatchifyTranslator<NdCallTranslator.Call, NDList> {
  /** The inputs of one call and the manager its outputs go to. */
  public record Call(NDList inputs, NDManager target) {}

  private static final String TARGET = "finerewards.target-manager";
  private final DataType floatType;

  public NdCallTranslator(DataType floatType) {
    this.floatType = floatType;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Call call) {
    ctx.setAttachment(TARGET, call.target());
    if (floatType == DataType.FLOAT32) {
      return call.inputs();
    }
    NDList cast = new NDList(call.inputs().size());
    for (NDArray a : call.inputs()) {
      NDArray c = a.getDataType() == DataType.FLOAT32 ? a.toType(floatType, true) : a;
      if (c != a) {
        c.attach(ctx.getNDManager());
      }
      cast.add(c);
    }
    return cast;
  }

  @Override
  public NDList processOutput(TranslatorContext ctx, NDList outputs) {
    NDManager target = (NDManager) ctx.getAttachment(TARGET);
    NDList out = new NDList(outputs.size());
    for (NDArray a : outputs) {
      NDArray f = a.getDataType() == DataType.FLOAT16 ? a.toType(DataType.FLOAT32, true) : a;
      f.attach(target);
      out.add(f);
    }
    return out;
  }
}
