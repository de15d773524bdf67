package ai.finerewards.core.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.diffusion.scheduler.Scheduler;
import ai.finerewards.core.diffusion.scheduler.SchedulerConfig;
import ai.finerewards.core.diffusion.scheduler.Schedulers;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * LoRA fine-tuning of an exported diffusion model with the denoising loss of diffusers'
 * {@code train_text_to_image_lora.py}, one optimiser step at a time:
 *
 * <ol>
 *   <li>encode the prompts (text encoder, no gradient);
 *   <li>encode the images: latents = (mean + exp(logvar / 2) * n) * vae_scaling_factor;
 *   <li>draw noise and one timestep per example, noise the latents with the training schedule
 *       (DDPM's q(x_t | x_0), Ho et al. 2020 eq. 4);
 *   <li>predict with the UNet and take the mean squared error against the noise, or against the
 *       velocity for v-prediction models (Salimans and Ho 2022, sec. 4);
 *   <li>backward through the LoRA parameters only, clip, and update with {@link TorchAdamW}.
 * </ol>
 *
 * <p>The UNet is loaded privately (not from the model cache: training changes its weights) with
 * trainable parameters; everything but LoRA A/B is frozen. The text and VAE encoders come from
 * the model cache. Not thread-safe; DJL's PyTorch engine allows one gradient collector per JVM at
 * a time, so one trainer trains at a time. Use it on one thread: that thread's TorchScript graph
 * optimizer is turned off, since an inference forward after a training forward fails with it.
 */
public final class LoraTrainer implements AutoCloseable {
  private final Model unet;
  private final LoraParameters lora;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> textEncoder;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> vaeEncoder;
  private final Scheduler trainSchedule;
  private final int numTrainTimesteps;
  private final boolean vPrediction;
  private final float scalingFactor;
  private final OptimizerSettings settings;
  private final NoiseSource noise;
  private final Device device;
  private TorchAdamW adam;

  private LoraTrainer(Model unet, LoraParameters lora,
      PredictorLease<List<HostTensor>, List<HostTensor>> textEncoder,
      PredictorLease<List<HostTensor>, List<HostTensor>> vaeEncoder, Scheduler trainSchedule,
      int numTrainTimesteps, boolean vPrediction, float scalingFactor, OptimizerSettings settings,
      NoiseSource noise, Device device) {
    this.unet = unet;
    this.lora = lora;
    this.textEncoder = textEncoder;
    this.vaeEncoder = vaeEncoder;
    this.trainSchedule = trainSchedule;
    this.numTrainTimesteps = numTrainTimesteps;
    this.vPrediction = vPrediction;
    this.scalingFactor = scalingFactor;
    this.settings = settings;
    this.noise = noise;
    this.device = device;
    this.adam = new TorchAdamW(settings.adam(), lora.layout().sizes());
  }

  /**
   * Loads the models of a checked diffusion model directory for training on {@code device}.
   *
   * @param noise the random draws (a {@link SeededNoise} in production)
   */
  public static LoraTrainer open(ModelDirectory dir, Device device, OptimizerSettings settings,
      NoiseSource noise) {
    var manifest = dir.manifest();
    manifest.checkFamily("diffusion");
    if (!"float32".equals(manifest.dtype())) {
      throw new ModelError(manifest.origin() + ": dtype " + manifest.dtype()
          + ": LoRA training needs a float32 export (fp16 weights lose the small updates)");
    }
    JsonObject config = manifest.config();
    float scaling = requireNumber(config, "vae_scaling_factor", manifest.origin()).floatValue();
    String prediction = config.has("prediction_type")
        ? config.get("prediction_type").getAsString() : "epsilon";
    if (!prediction.equals("epsilon") && !prediction.equals("v_prediction")) {
      throw new ModelError(manifest.origin() + ": field 'config.prediction_type' = " + prediction
          + ": expected epsilon or v_prediction for training");
    }
    SchedulerConfig sc = schedulerConfig(dir, config);
    // The training schedule: DDIM's add_noise is DDPM's forward process over the same betas.
    Scheduler schedule = Schedulers.create("ddim", sc);
    int numTrain = sc.numTrainTimesteps() == null ? 1000 : sc.numTrainTimesteps();
    LoraLayout layout = LoraLayout.of(manifest);

    // Training thread: no graph optimizer (inference after a training forward would fail). The
    // engine must be up first: it loads the native library.
    Engine.getEngine("PyTorch");
    JniUtils.setGraphExecutorOptimize(false);
    Path unetFile = dir.componentFile("unet");
    Model unet;
    try {
      unet = TorchScriptModels.load(unetFile, device, true);
    } catch (IOException | ai.djl.MalformedModelException
        | ai.djl.repository.zoo.ModelNotFoundException e) {
      throw new ModelError("cannot load " + unetFile + " for training: " + e.getMessage(), e);
    }
    PredictorLease<List<HostTensor>, List<HostTensor>> text = null;
    try {
      LoraParameters params = LoraParameters.bind(unet.getBlock(), layout, unetFile.toString());
      TensorTranslator tt = TensorTranslator.forDtype(manifest.dtype());
      text = ModelCache.get().predictor(
          TorchScriptModels.spec(dir, "text_encoder", device, "auto", false), tt);
      var vae = ModelCache.get().predictor(
          TorchScriptModels.spec(dir, "vae_encoder", device, "auto", false), tt);
      return new LoraTrainer(unet, params, text, vae, schedule, numTrain,
          prediction.equals("v_prediction"), scaling, settings, noise, device);
    } catch (RuntimeException e) {
      if (text != null) {
        text.close();
      }
      unet.close();
      throw e;
    }
  }

  private static SchedulerConfig schedulerConfig(ModelDirectory dir, JsonObject config) {
    String name = config.has("scheduler_config")
        ? config.get("scheduler_config").getAsString() : "scheduler_config.json";
    Path file = dir.localPath().resolve(name);
    try {
      return SchedulerConfig.read(file);
    } catch (IOException e) {
      throw new ModelError("cannot read the scheduler config " + file + ": " + e.getMessage(), e);
    }
  }

  private static Number requireNumber(JsonObject o, String field, String origin) {
    if (!o.has(field) || !o.get(field).isJsonPrimitive()
        || !o.get(field).getAsJsonPrimitive().isNumber()) {
      throw new ModelError(origin + ": field 'config." + field + "' = " + o.get(field)
          + ": expected a number");
    }
    return o.get(field).getAsNumber();
  }

  /**
   * One optimiser step over {@code microBatches} (gradient accumulation: the loss of each
   * micro-batch is divided by their number, so the update equals one step on their union when
   * they have equal sizes).
   */
  public StepResult step(List<TrainBatch> microBatches) {
    if (microBatches.isEmpty()) {
      throw new IllegalArgumentException("an optimiser step needs at least one micro-batch");
    }
    long step = adam.stepCount() + 1;
    double lossSum = 0;
    int samples = 0;
    for (int j = 0; j < microBatches.size(); j++) {
      TrainBatch b = microBatches.get(j);
      float loss = forwardBackward(b, step, j, microBatches.size());
      if (!Float.isFinite(loss)) {
        throw new IllegalStateException("training loss is " + loss + " at step " + step
            + " (micro-batch " + j + "); lower finerewards.train.learning-rate");
      }
      lossSum += loss;
      samples += b.size();
    }
    float[][] grads = lora.grads();
    double gradNorm = GradientClipping.clip(grads, settings.maxGradNorm());
    double lr = settings.lrAt(step);
    float[][] values = lora.values();
    adam.step(values, grads, lr);
    lora.set(values);
    lora.zeroGrads();
    return new StepResult(step, lossSum / microBatches.size(), lr, gradNorm, samples);
  }

  /** The loss of one micro-batch, its gradients added to the LoRA parameters' .grad. */
  private float forwardBackward(TrainBatch b, long step, int micro, int micros) {
    int batch = b.size();
    HostTensor hidden;
    List<HostTensor> dist;
    try {
      hidden = textEncoder.predict(List.of(b.inputIds())).get(0);
      dist = vaeEncoder.predict(List.of(b.images()));
    } catch (TranslateException e) {
      throw new IllegalStateException("encoding the training batch failed: " + e.getMessage(), e);
    }
    long[] latentShape = dist.get(0).shape();
    int latentSize = (int) (dist.get(0).numel() / batch);
    NoiseSource.Draw draw = noise.draw(step, micro, batch, latentSize, numTrainTimesteps);
    float[] latents = sampleLatents(dist.get(0).floats(), dist.get(1).floats(), draw.encodeNoise());
    float[] t = new float[batch];
    for (int i = 0; i < batch; i++) {
      t[i] = draw.timesteps()[i];
    }
    float[] noisy = trainSchedule.addNoise(latents, draw.noise(), t);
    float[] target = vPrediction ? velocity(latents, draw.noise(), t) : draw.noise();
    try (NDManager m = NDManager.newBaseManager(device, "PyTorch");
        GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray x = m.create(noisy, new Shape(latentShape));
      NDArray ts = m.create(t);
      NDArray ehs = TensorTranslator.toNd(m, hidden, ai.djl.ndarray.types.DataType.FLOAT32);
      NDList out = unet.getBlock().forward(new ParameterStore(m, false), new NDList(x, ts, ehs), true);
      NDArray y = m.create(target, new Shape(latentShape));
      NDArray loss = out.singletonOrThrow().sub(y).square().mean();
      gc.backward(micros == 1 ? loss : loss.div(micros));
      return loss.getFloat();
    }
  }

  /** A sample of the VAE's latent distribution, scaled for the UNet. */
  private float[] sampleLatents(float[] mean, float[] logvar, float[] n) {
    float[] out = new float[mean.length];
    for (int i = 0; i < out.length; i++) {
      float std = (float) Math.exp(0.5f * logvar[i]);
      out[i] = (mean[i] + std * n[i]) * scalingFactor;
    }
    return out;
  }

  /**
   * v = sqrt(alpha-bar_t) * noise - sqrt(1 - alpha-bar_t) * x_0: the forward process applied to
   * {@code noise} with noise {@code -x_0}, so it reuses the schedule's alpha-bar exactly.
   */
  private float[] velocity(float[] latents, float[] noise, float[] t) {
    float[] negated = new float[latents.length];
    for (int i = 0; i < negated.length; i++) {
      negated[i] = -latents[i];
    }
    return trainSchedule.addNoise(noise, negated, t);
  }

  /** The LoRA layout (diffusers keys, shapes) of the model. */
  public LoraLayout layout() {
    return lora.layout();
  }

  /** Copies of the current LoRA values, in layout order. */
  public float[][] loraValues() {
    return lora.values();
  }

  /** Sets the LoRA values (e.g. the previous round's checkpoint), in layout order. */
  public void setLoraValues(float[][] values) {
    lora.set(values);
  }

  /** Optimiser steps taken. */
  public long steps() {
    return adam.stepCount();
  }

  /** The optimiser (its state goes into checkpoints). */
  public TorchAdamW optimizer() {
    return adam;
  }

  /** Resumes the optimiser from a checkpoint's state. */
  public void restoreOptimizer(TorchAdamW restored) {
    this.adam = restored;
  }

  /** The UNet being trained (tests compare its frozen parameters). */
  Model unet() {
    return unet;
  }

  @Override
  public void close() {
    try {
      textEncoder.close();
      vaeEncoder.close();
    } finally {
      unet.close();
    }
  }
}
