package ai.finerewards.core.diffusion;

import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the sampler needs from a diffusion manifest: sizes, the VAE scaling factor, the tokenizer
 * limits, the model id recorded in {@code samples.model_id}, and the LoRA name table (diffusers key to
 * TorchScript parameter name).
 *
 * @param latentChannels UNet input channels (4 for SD 1.x)
 * @param vaeScaleFactor pixels per latent cell along a side (8 for SD 1.x)
 * @param vaeScalingFactor the latent scaling of the VAE (0.18215 for SD 1.x); the decoder gets latents / it
 * @param nativeHeight the height the model was trained at (manifest {@code config.height})
 * @param nativeWidth the width the model was trained at
 * @param sizeMultiple image sides must be multiples of this (vae scale x UNet downsampling)
 * @param predictionType the UNet output kind (epsilon for SD 1.x)
 * @param tokenizer the manifest's {@code preprocessing.tokenizer} object
 * @param modelId {@code <source.checkpoint>@<first 12 hex chars of source.weights_sha256>}
 * @param lora LoRA parameters in manifest order; empty when the UNet was exported without LoRA
 * @param schedulerConfigFile the scheduler config file name in the model directory (config.scheduler_config)
 */
public record DiffusionModelConfig(
    int latentChannels,
    int vaeScaleFactor,
    float vaeScalingFactor,
    int nativeHeight,
    int nativeWidth,
    int sizeMultiple,
    String predictionType,
    JsonObject tokenizer,
    String modelId,
    List<LoraParameter> lora,
    String schedulerConfigFile) {

  /** One LoRA matrix: its key in {@code pytorch_lora_weights.safetensors} and in the TorchScript UNet. */
  public record LoraParameter(String diffusersKey, String torchscriptName, long[] shape) {}

  public DiffusionModelConfig {
    lora = List.copyOf(lora);
  }

  /** Reads and checks the fields; a missing one is a ModelError naming the manifest and field. */
  public static DiffusionModelConfig from(ModelManifest manifest) {
    String origin = manifest.origin();
    JsonObject config = manifest.config();
    int latentChannels = intField(config, "latent_channels", origin);
    int vaeScaleFactor = intField(config, "vae_scale_factor", origin);
    float scaling = (float) number(config, "vae_scaling_factor", origin);
    if (config.has("vae_shift_factor") && !config.get("vae_shift_factor").isJsonNull()) {
      throw new ModelError(origin + ": config.vae_shift_factor = " + config.get("vae_shift_factor")
          + ": expected null (SD 1.x VAEs have no shift; this sampler does not apply one)");
    }
    int height = intField(config, "height", origin);
    int width = intField(config, "width", origin);
    int downsamples = 0;
    if (config.has("unet") && config.getAsJsonObject("unet").has("block_out_channels")) {
      downsamples = config.getAsJsonObject("unet").getAsJsonArray("block_out_channels").size() - 1;
    }
    String prediction = config.has("prediction_type") ? config.get("prediction_type").getAsString() : "epsilon";
    if (!prediction.equals("epsilon")) {
      throw new ModelError(origin + ": config.prediction_type = " + prediction + ": expected epsilon");
    }
    JsonObject pre = manifest.preprocessing();
    if (!pre.has("tokenizer") || !pre.get("tokenizer").isJsonObject()) {
      throw new ModelError(origin + ": preprocessing.tokenizer is missing: expected an object with max_length and token ids");
    }
    JsonObject source = manifest.source();
    String checkpoint = source.has("checkpoint") ? source.get("checkpoint").getAsString() : "unknown";
    String hash = source.has("weights_sha256") ? source.get("weights_sha256").getAsString() : manifest.sha256();
    String modelId = checkpoint + "@" + hash.substring(0, Math.min(12, hash.length()));
    List<LoraParameter> lora = new ArrayList<>();
    JsonObject extra = manifest.extra();
    if (extra.has("lora") && extra.getAsJsonObject("lora").has("parameters")) {
      for (JsonElement e : extra.getAsJsonObject("lora").getAsJsonArray("parameters")) {
        JsonObject p = e.getAsJsonObject();
        long[] shape = p.getAsJsonArray("shape").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
        lora.add(new LoraParameter(p.get("diffusers_key").getAsString(), p.get("torchscript_name").getAsString(), shape));
      }
    }
    return new DiffusionModelConfig(latentChannels, vaeScaleFactor, scaling, height, width,
        vaeScaleFactor * (1 << downsamples), prediction, pre.getAsJsonObject("tokenizer"), modelId, lora,
        config.has("scheduler_config") ? config.get("scheduler_config").getAsString() : "scheduler_config.json");
  }

  /** The LoRA table keyed by diffusers key, in manifest order. */
  public Map<String, LoraParameter> loraByDiffusersKey() {
    Map<String, LoraParameter> m = new LinkedHashMap<>();
    lora.forEach(p -> m.put(p.diffusersKey(), p));
    return m;
  }

  private static int intField(JsonObject o, String key, String origin) {
    double d = number(o, key, origin);
    if (d != Math.rint(d)) {
      throw new ModelError(origin + ": config." + key + " = " + d + ": expected an integer");
    }
    return (int) d;
  }

  private static double number(JsonObject o, String key, String origin) {
    if (!o.has(key) || !o.get(key).isJsonPrimitive() || !o.get(key).getAsJsonPrimitive().isNumber()) {
      throw new ModelError(origin + ": config." + key + " is missing or not a number");
    }
    return o.get(key).getAsDouble();
  }
}
