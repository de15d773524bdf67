package ai.finerewards.core.train;

import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.io.SafetensorsWriter;
import java.util.Map;

/**
 * {@code pytorch_lora_weights.safetensors}: the LoRA matrices under their diffusers keys
 * ({@code unet.<module>.lora_A.weight}), the file diffusers' {@code load_lora_weights} reads. No
 * alpha entries are written, so diffusers uses alpha = rank (scale 1), which is what the export
 * traced (manifest {@code extra.lora.scaling = 1}).
 */
public final class LoraWeightsFile {
  public static final String FILE = "pytorch_lora_weights.safetensors";

  private LoraWeightsFile() {}

  /** The file's bytes; {@code metadata} goes into {@code __metadata__}. */
  public static byte[] encode(LoraLayout layout, float[][] values, Map<String, String> metadata) {
    if (values.length != layout.matrices().size()) {
      throw new IllegalArgumentException(values.length + " arrays for "
          + layout.matrices().size() + " LoRA matrices");
    }
    SafetensorsWriter w = new SafetensorsWriter();
    for (int i = 0; i < values.length; i++) {
      LoraLayout.Matrix m = layout.matrices().get(i);
      w.put(m.diffusersKey(), HostTensor.ofFloats(values[i], m.shape()));
    }
    metadata.forEach(w::metadata);
    return w.toBytes();
  }

  /**
   * The values in layout order from a read file; a missing key or a wrong shape is an error
   * naming the file and the key.
   */
  public static float[][] decode(LoraLayout layout, Safetensors file) {
    float[][] out = new float[layout.matrices().size()][];
    for (int i = 0; i < out.length; i++) {
      LoraLayout.Matrix m = layout.matrices().get(i);
      Safetensors.Entry e = file.entries().get(m.diffusersKey());
      if (e == null) {
        throw new IllegalArgumentException(file.path() + ": no LoRA tensor '" + m.diffusersKey()
            + "' (is it a checkpoint of another base model?)");
      }
      if (!java.util.Arrays.equals(e.shape(), m.shape())) {
        throw new IllegalArgumentException(file.path() + ": LoRA tensor '" + m.diffusersKey()
            + "' has shape " + java.util.Arrays.toString(e.shape()) + ", the model needs "
            + java.util.Arrays.toString(m.shape()));
      }
      out[i] = file.tensor(m.diffusersKey()).floats();
    }
    return out;
  }
}
