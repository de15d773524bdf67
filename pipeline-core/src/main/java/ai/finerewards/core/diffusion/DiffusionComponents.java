package ai.finerewards.core.diffusion;

import ai.finerewards.core.clip.ClipTextTokenizer;
import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.diffusion.scheduler.SchedulerConfig;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelKey;
import ai.finerewards.core.model.ModelSpec;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TorchScriptModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One task thread's handle on an exported diffusion model: predictors on the JVM-wide cached text
 * encoder, UNet and VAE decoder, and a tokenizer. Close it when the partition ends; the models stay
 * cached.
 *
 * <p>A UNet with a LoRA checkpoint is its own cache entry, keyed by the checkpoint id and loaded with
 * trainable parameters so the LoRA matrices can be written into it once, right after loading: tasks
 * never write into a model another task is running, and the base UNet stays untouched.
 */
public final class DiffusionComponents implements AutoCloseable {
  private final DiffusionModelConfig config;
  private final SchedulerConfig schedulerConfig;
  private final ClipTextTokenizer tokenizer;
  private final List<PredictorLease<NdCallTranslator.Call, NDList>> leases = new ArrayList<>();
  private final Device device;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final String loraCheckpointId;
  private final ComponentCall textEncoder;
  private final ComponentCall unet;
  private final ComponentCall vaeDecoder;

  private DiffusionComponents(ModelDirectory dir, Device device, String dtype, LoraCheckpoint lora, DiffusionModelConfig config) {
    this.config = config;
    this.device = device;
    this.loraCheckpointId = lora == null ? null : lora.id();
    String resolved = "auto".equals(dtype) ? dir.manifest().dtype() : dtype;
    NdCallTranslator translator = new NdCallTranslator("float16".equals(resolved) ? DataType.FLOAT16 : DataType.FLOAT32);
    this.schedulerConfig = readSchedulerConfig(dir, config);
    this.tokenizer = ClipTextTokenizer.forDiffusion(dir.tokenizerFile(), config.tokenizer(), dir.manifest().origin());
    try {
      this.textEncoder = call(TorchScriptModels.spec(dir, "text_encoder", device, dtype, false), translator);
      ModelSpec unetSpec = unetSpec(dir, device, dtype, lora);
      if (lora != null) {
        // A new checkpoint's UNet supersedes the older rounds' (about 3.4 GB each for SD 1.5).
        ModelCache.get().release(k -> otherCheckpoint(unetSpec.key(), k), "LoRA of an older checkpoint, superseded by " + lora.id());
      }
      this.unet = call(unetSpec, translator);
      this.vaeDecoder = call(TorchScriptModels.spec(dir, "vae_decoder", device, dtype, false), translator);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Opens the components of {@code dir} on {@code device}.
   *
   * @param dtype {@code auto}, {@code float32} or {@code float16} (must match the export)
   * @param lora a LoRA checkpoint to apply to the UNet, or null for the base model
   */
  public static DiffusionComponents open(ModelDirectory dir, Device device, String dtype, LoraCheckpoint lora) {
    return new DiffusionComponents(dir, device, dtype, lora, DiffusionModelConfig.from(dir.manifest()));
  }

  /** The cache spec of the UNet: the plain component, or a LoRA-keyed trainable load with the weights set. */
  public static ModelSpec unetSpec(ModelDirectory dir, Device device, String dtype, LoraCheckpoint lora) {
    ModelSpec base = TorchScriptModels.spec(dir, "unet", device, dtype, lora != null);
    if (lora == null) {
      return base;
    }
    ModelKey key = new ModelKey(base.key().directory(), base.key().component(), base.key().device(), base.key().dtype(),
        Map.of("trainParam", "true", "lora", lora.id()));
    return new ModelSpec(key, device, (k, d) -> {
      var model = base.loader().load(k, d);
      lora.applyTo(model);
      return model;
    }, base.sizeBytes());
  }

  /**
   * Whether {@code other} is a LoRA UNet of the same base model and device as {@code current} but of
   * another checkpoint. In a run, generate round r loads round r-1's checkpoint and evaluate walks the
   * checkpoints in order, so such a UNet is an older round's and is not needed again.
   */
  static boolean otherCheckpoint(ModelKey current, ModelKey other) {
    return other.options().containsKey("lora") && !other.equals(current)
        && other.directory().equals(current.directory()) && other.component().equals(current.component())
        && other.device().equals(current.device()) && other.dtype().equals(current.dtype());
  }

  private ComponentCall call(ModelSpec spec, NdCallTranslator translator) {
    PredictorLease<NdCallTranslator.Call, NDList> lease = ModelCache.get().predictor(spec, translator);
    leases.add(lease);
    String name = spec.key().toString();
    return (inputs, target) -> {
      try {
        return lease.predict(new NdCallTranslator.Call(inputs, target));
      } catch (TranslateException e) {
        throw new ModelError("forward of " + name + " failed: " + e.getMessage(), e);
      }
    };
  }

  /** The model directory's scheduler config (manifest {@code config.scheduler_config}). */
  public static SchedulerConfig readSchedulerConfig(ModelDirectory dir, DiffusionModelConfig config) {
    Path file = dir.localPath().resolve(config.schedulerConfigFile());
    try {
      return SchedulerConfig.read(file);
    } catch (IOException e) {
      throw new ModelError("cannot read scheduler config " + file + ": " + e.getMessage(), e);
    }
  }

  /** A sampler over these components (one per thread). */
  public StableDiffusionSampler sampler() {
    return new StableDiffusionSampler(textEncoder, unet, vaeDecoder, tokenizer, schedulerConfig, config, device);
  }

  public DiffusionModelConfig config() {
    return config;
  }

  /** The applied checkpoint's id, or null for the base model. */
  public String loraCheckpointId() {
    return loraCheckpointId;
  }

  /** Closes the predictors and the tokenizer; later calls do nothing (a task may close it twice). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (PredictorLease<?, ?> l : leases) {
      l.close();
    }
    leases.clear();
    tokenizer.close();
  }
}
