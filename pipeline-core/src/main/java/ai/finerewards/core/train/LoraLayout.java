package ai.finerewards.core.train;

import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The LoRA table of a diffusion manifest ({@code extra.lora}): rank, alpha, target modules and,
 * per LoRA matrix, its diffusers key (the key in {@code pytorch_lora_weights.safetensors}), its
 * TorchScript parameter name and its shape, in manifest order.
 */
public record LoraLayout(int rank, double alpha, List<String> targetModules, List<Matrix> matrices) {
  /** One LoRA matrix. */
  public record Matrix(String diffusersKey, String torchscriptName, long[] shape) {
    public int size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return Math.toIntExact(n);
    }
  }

  public LoraLayout {
    targetModules = List.copyOf(targetModules);
    matrices = List.copyOf(matrices);
  }

  /** Reads {@code extra.lora} of a diffusion manifest; errors name the manifest and the field. */
  public static LoraLayout of(ModelManifest manifest) {
    JsonObject extra = manifest.extra();
    if (!extra.has("lora") || !extra.get("lora").isJsonObject()) {
      throw new ModelError(manifest.origin() + ": field 'extra.lora' = (missing): expected the LoRA"
          + " table of a UNet exported with LoRA layers (re-export the diffusion model)");
    }
    JsonObject lora = extra.getAsJsonObject("lora");
    try {
      int rank = lora.get("rank").getAsInt();
      double alpha = lora.get("alpha").getAsDouble();
      List<String> targets = new ArrayList<>();
      for (JsonElement t : lora.getAsJsonArray("target_modules")) {
        targets.add(t.getAsString());
      }
      List<Matrix> matrices = new ArrayList<>();
      for (JsonElement e : lora.getAsJsonArray("parameters")) {
        JsonObject p = e.getAsJsonObject();
        JsonArray s = p.getAsJsonArray("shape");
        long[] shape = new long[s.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = s.get(i).getAsLong();
        }
        matrices.add(new Matrix(p.get("diffusers_key").getAsString(),
            p.get("torchscript_name").getAsString(), shape));
      }
      if (matrices.isEmpty()) {
        throw new ModelError(manifest.origin() + ": field 'extra.lora.parameters' is empty:"
            + " expected one entry per LoRA A and B matrix");
      }
      return new LoraLayout(rank, alpha, targets, matrices);
    } catch (RuntimeException e) {
      if (e instanceof ModelError) {
        throw e;
      }
      throw new ModelError(manifest.origin() + ": field 'extra.lora' is malformed (" + e
          + "): expected {rank, alpha, target_modules, parameters: [{diffusers_key,"
          + " torchscript_name, shape}]}", e);
    }
  }

  /** Sizes of the matrices in order (for the optimiser). */
  public int[] sizes() {
    return matrices.stream().mapToInt(Matrix::size).toArray();
  }
}
