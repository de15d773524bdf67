package ai.finerewards.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.finerewards.core.model.ModelError;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRA parameters of a UNet loaded with {@code trainParam=true}, in {@link LoraLayout} order:
 * marks them trainable and every other parameter frozen, and moves values and gradients between
 * the model and host arrays.
 */
final class LoraParameters {
  private final LoraLayout layout;
  private final List<NDArray> lora;

  private LoraParameters(LoraLayout layout, List<NDArray> lora) {
    this.layout = layout;
    this.lora = lora;
  }

  /**
   * Finds every LoRA parameter of the layout in {@code block}, requires gradients on them only.
   * The frozen parameters stay exactly as loaded: nothing computes gradients for them.
   */
  static LoraParameters bind(Block block, LoraLayout layout, String modelFile) {
    Map<String, NDArray> byName = new HashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      byName.put(p.getKey(), p.getValue().getArray());
    }
    List<NDArray> lora = new ArrayList<>();
    java.util.Set<String> loraNames = new java.util.HashSet<>();
    for (LoraLayout.Matrix m : layout.matrices()) {
      NDArray a = byName.get(m.torchscriptName());
      if (a == null) {
        throw new ModelError(modelFile + " has no parameter '" + m.torchscriptName()
            + "' that the manifest's LoRA table names (was the UNet exported with LoRA?)");
      }
      if (!java.util.Arrays.equals(a.getShape().getShape(), m.shape())) {
        throw new ModelError(modelFile + ": parameter '" + m.torchscriptName() + "' has shape "
            + a.getShape() + ", the manifest says " + java.util.Arrays.toString(m.shape()));
      }
      lora.add(a);
      loraNames.add(m.torchscriptName());
    }
    for (Map.Entry<String, NDArray> e : byName.entrySet()) {
      e.getValue().setRequiresGradient(loraNames.contains(e.getKey()));
    }
    return new LoraParameters(layout, lora);
  }

  LoraLayout layout() {
    return layout;
  }

  /** Copies of the current values. */
  float[][] values() {
    float[][] out = new float[lora.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = lora.get(i).toFloatArray();
    }
    return out;
  }

  /** Overwrites the model's LoRA values (outside autograd). */
  void set(float[][] values) {
    if (values.length != lora.size()) {
      throw new IllegalArgumentException(values.length + " LoRA arrays for " + lora.size()
          + " parameters");
    }
    for (int i = 0; i < values.length; i++) {
      if (values[i].length != layout.matrices().get(i).size()) {
        throw new IllegalArgumentException("LoRA " + layout.matrices().get(i).diffusersKey()
            + ": " + values[i].length + " values for shape "
            + java.util.Arrays.toString(layout.matrices().get(i).shape()));
      }
      lora.get(i).set(FloatBuffer.wrap(values[i]));
    }
  }

  /** The accumulated gradients (zero where backward has not reached a parameter). */
  float[][] grads() {
    float[][] out = new float[lora.size()][];
    for (int i = 0; i < out.length; i++) {
      try (NDArray g = lora.get(i).getGradient()) {
        out[i] = g.toFloatArray();
      }
    }
    return out;
  }

  /** Zeroes the accumulated gradients in place (torch accumulates across backward calls). */
  void zeroGrads() {
    for (NDArray a : lora) {
      try (NDArray g = a.getGradient()) {
        g.muli(0);
      }
    }
  }
}
