package ai.finerewards.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The generic call on a TorchScript component: positional input tensors in, positional output
 * tensors out, both as {@link HostTensor}s. The NDArrays live in the predict call's own manager and
 * are freed when it returns, so nothing native leaks to the caller. Float inputs are cast to the
 * dtype the component expects (float16 models get float16 inputs); float16 outputs are widened
 * to float32.
 */
public final class TensorTranslator
    implements NoBatchifyTranslator<List<HostTensor>, List<HostTensor>> {
  private final DataType floatType;

  /** For float32 components. */
  public TensorTranslator() {
    this(DataType.FLOAT32);
  }

  /** @param floatType the dtype float inputs are cast to (FLOAT32 or FLOAT16) */
  public TensorTranslator(DataType floatType) {
    if (floatType != DataType.FLOAT32 && floatType != DataType.FLOAT16) {
      throw new IllegalArgumentException("float inputs can be FLOAT32 or FLOAT16, not " + floatType);
    }
    this.floatType = floatType;
  }

  /** For a component of a model with the manifest dtype {@code float32} or {@code float16}. */
  public static TensorTranslator forDtype(String dtype) {
    return new TensorTranslator("float16".equals(dtype) ? DataType.FLOAT16 : DataType.FLOAT32);
  }

  @Override
  public NDList processInput(TranslatorContext ctx, List<HostTensor> inputs) {
    NDManager m = ctx.getNDManager();
    NDList list = new NDList(inputs.size());
    for (HostTensor t : inputs) {
      list.add(toNd(m, t, floatType));
    }
    return list;
  }

  @Override
  public List<HostTensor> processOutput(TranslatorContext ctx, NDList outputs) {
    List<HostTensor> out = new ArrayList<>(outputs.size());
    for (NDArray a : outputs) {
      out.add(toHost(a));
    }
    return out;
  }

  /** A HostTensor as an NDArray in {@code manager}; floats are cast to {@code floatType}. */
  public static NDArray toNd(NDManager manager, HostTensor t, DataType floatType) {
    Shape shape = new Shape(t.shape());
    switch (t.dtype()) {
      case FLOAT32:
        NDArray f = manager.create(t.floats(), shape);
        return floatType == DataType.FLOAT32 ? f : f.toType(floatType, false);
      case INT64:
        return manager.create(t.longs(), shape);
      case INT32:
        return manager.create(t.ints(), shape);
      default:
        throw new IllegalArgumentException("unsupported tensor " + t);
    }
  }

  /** An NDArray copied into Java memory. */
  public static HostTensor toHost(NDArray a) {
    long[] shape = a.getShape().getShape();
    DataType type = a.getDataType();
    switch (type) {
      case FLOAT32:
        return HostTensor.ofFloats(a.toFloatArray(), shape);
      case FLOAT16:
      case BFLOAT16:
      case FLOAT64:
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
          return HostTensor.ofFloats(f.toFloatArray(), shape);
        }
      case INT64:
        return HostTensor.ofLongs(a.toLongArray(), shape);
      case INT32:
        return HostTensor.ofInts(a.toIntArray(), shape);
      case INT8:
      case UINT8:
      case BOOLEAN:
        try (NDArray i = a.toType(DataType.INT32, true)) {
          return HostTensor.ofInts(i.toIntArray(), shape);
        }
      default:
        throw new IllegalArgumentException("output of dtype " + type + " is not supported");
    }
  }
}
