package ai.finerewards.core.diffusion;

import ai.finerewards.core.clip.PromptTokens;
import ai.finerewards.core.clip.ClipTextTokenizer;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.finerewards.core.diffusion.scheduler.Scheduler;
import ai.finerewards.core.diffusion.scheduler.SchedulerConfig;
import ai.finerewards.core.diffusion.scheduler.Schedulers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Text-to-image sampling with an exported Stable Diffusion 1.x, mirroring diffusers'
 * {@code StableDiffusionPipeline.__call__} (0.31.0) stage by stage, so that its latents and images
 * match diffusers' for the same initial latents. Components come in through the constructor; a
 * sampler is cheap and not thread-safe (one per task thread), the components it calls may be shared.
 *
 * <p>Memory (STYLE convention 5): one NDManager per {@link #generate} call (the batch), a child
 * manager per denoising step of which only the new latents leave, as Java floats.
 */
public final class StableDiffusionSampler {
  private final ComponentCall textEncoder;
  private final ComponentCall unet;
  private final ComponentCall vaeDecoder;
  private final ClipTextTokenizer tokenizer;
  private final SchedulerConfig schedulerConfig;
  private final DiffusionModelConfig model;
  private final Device device;

  public StableDiffusionSampler(
      ComponentCall textEncoder,
      ComponentCall unet,
      ComponentCall vaeDecoder,
      ClipTextTokenizer tokenizer,
      SchedulerConfig schedulerConfig,
      DiffusionModelConfig model,
      Device device) {
    this.textEncoder = textEncoder;
    this.unet = unet;
    this.vaeDecoder = vaeDecoder;
    this.tokenizer = tokenizer;
    this.schedulerConfig = schedulerConfig;
    this.model = model;
    this.device = device;
  }

  public DiffusionModelConfig model() {
    return model;
  }

  /**
   * Checks settings against the model before any work: sides a multiple of the model's size
   * multiple (VAE factor x UNet downsampling) and latents of at least 16 values.
   *
   * @throws IllegalArgumentException naming the setting and what was expected
   */
  public void checkSettings(GenerationSettings s) {
    checkSettings(s, model, schedulerConfig);
  }

  /** {@link #checkSettings(GenerationSettings)} without a sampler, e.g. on the driver before any task. */
  public static void checkSettings(GenerationSettings s, DiffusionModelConfig model, SchedulerConfig schedulerConfig) {
    int multiple = Math.max(8, model.sizeMultiple());
    for (int[] side : new int[][] {{s.height(), 0}, {s.width(), 1}}) {
      if (side[0] % multiple != 0) {
        throw new IllegalArgumentException((side[1] == 0 ? "height" : "width") + " = " + side[0]
            + ": expected a multiple of " + multiple + " for this model (VAE factor " + model.vaeScaleFactor()
            + " x UNet downsampling)");
      }
    }
    int latent = model.latentChannels() * (s.height() / model.vaeScaleFactor()) * (s.width() / model.vaeScaleFactor());
    if (latent < 16) {
      throw new IllegalArgumentException("size " + s.width() + "x" + s.height() + " gives fewer than 16 latent values: expected larger");
    }
    Schedulers.create(s.scheduler(), schedulerConfig); // an unsupported scheduler config fails here
  }

  /** Generates one image per request, all in one batch (one UNet call per step for all of them). */
  public List<GeneratedImage> generate(GenerationSettings s, List<SampleRequest> requests, StepListener listener) {
    return generatePixels(s, requests, listener).stream().map(GeneratedImage::withPng).toList();
  }

  /**
   * As {@link #generate} without the PNG encoding (null {@code png}), so a caller can encode a batch
   * on another thread while the model runs the next one ({@link GeneratedImage#withPng()}).
   */
  public List<GeneratedImage> generatePixels(GenerationSettings s, List<SampleRequest> requests, StepListener listener) {
    // 1. Check inputs.
    checkSettings(s);
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("no sample requests: expected at least one");
    }
    int batch = requests.size();
    int h = s.height() / model.vaeScaleFactor();
    int w = s.width() / model.vaeScaleFactor();
    int perSample = latentSize(s);
    for (SampleRequest r : requests) {
      if (r.initialLatents() != null && r.initialLatents().length != perSample) {
        throw new IllegalArgumentException("initial latents of " + r.initialLatents().length + " values: expected "
            + perSample + " (" + model.latentChannels() + "x" + h + "x" + w + ")");
      }
    }
    try (NDManager batchManager = NDManager.newBaseManager(device, "PyTorch")) {
      // 2. Encode the prompts (each distinct text once) and, for guidance, the negative prompt.
      Map<String, Integer> rowOf = new LinkedHashMap<>();
      requests.forEach(r -> rowOf.putIfAbsent(r.prompt(), rowOf.size()));
      List<String> texts = new ArrayList<>(rowOf.keySet());
      if (s.guided()) {
        texts.add(s.negativePrompt());
      }
      int[] truncated = new int[texts.size()];
      NDArray embeds = encode(texts, truncated, batchManager);
      NDArray cond = embeds.get(new NDIndex("{}", indexArray(batchManager, requests, rowOf)));
      NDArray hidden = s.guided()
          ? embeds.get(texts.size() - 1).expandDims(0).repeat(0, batch).concat(cond, 0)
          : cond;

      // 3. Timesteps.
      Scheduler scheduler = Schedulers.create(s.scheduler(), schedulerConfig);
      scheduler.setTimesteps(s.steps());

      // 4. Initial latents: the seed's noise (or the given latents) times init_noise_sigma.
      float[] latents = new float[batch * perSample];
      for (int i = 0; i < batch; i++) {
        SampleRequest r = requests.get(i);
        float[] noise = r.initialLatents() != null ? r.initialLatents() : TorchNoise.randn(r.seed(), perSample);
        System.arraycopy(noise, 0, latents, i * perSample, perSample);
      }
      float sigma = scheduler.initNoiseSigma();
      for (int i = 0; i < latents.length; i++) {
        latents[i] *= sigma;
      }

      // 5. Denoising loop with classifier-free guidance: uncond rows first, then text rows.
      Shape latentShape = new Shape(batch, model.latentChannels(), h, w);
      float[] timesteps = scheduler.timesteps();
      for (int i = 0; i < timesteps.length; i++) {
        float t = timesteps[i];
        try (NDManager step = batchManager.newSubManager()) {
          float[] input = s.guided() ? twice(latents) : latents;
          input = scheduler.scaleModelInput(input, t);
          int rows = s.guided() ? 2 * batch : batch;
          NDArray sample = step.create(input, new Shape(rows, model.latentChannels(), h, w));
          float[] ts = new float[rows];
          Arrays.fill(ts, t);
          NDArray noisePred = unet.forward(new NDList(sample, step.create(ts), hidden), step).singletonOrThrow();
          if (s.guided()) {
            NDArray uncond = noisePred.get("0:" + batch);
            NDArray text = noisePred.get(batch + ":");
            noisePred = uncond.add(text.sub(uncond).mul((float) s.guidanceScale()));
          }
          latents = scheduler.step(noisePred.toFloatArray(), t, latents);
        }
        listener.afterStep(i, t, latents);
      }

      // 6. Decode: latents / scaling factor through the VAE, then to [0, 1] as the image processor does.
      NDArray scaled = batchManager.create(latents, latentShape).div(model.vaeScalingFactor());
      NDArray image = vaeDecoder.forward(new NDList(scaled), batchManager).singletonOrThrow();
      float[] pixels = image.mul(0.5f).add(0.5f).clip(0f, 1f).toFloatArray();

      // 7. To 8-bit RGB (round half to even, as numpy); the PNG is generate's or the caller's.
      List<GeneratedImage> out = new ArrayList<>(batch);
      int hw = s.height() * s.width();
      for (int b = 0; b < batch; b++) {
        byte[] rgb = toRgb(pixels, b * 3 * hw, s.height(), s.width());
        int tr = truncated[rowOf.get(requests.get(b).prompt())];
        out.add(new GeneratedImage(s.width(), s.height(), rgb, null, tr));
      }
      return out;
    }
  }

  private NDArray encode(List<String> texts, int[] truncated, NDManager batchManager) {
    int len = tokenizer.maxLength();
    long[] ids = new long[texts.size() * len];
    for (int i = 0; i < texts.size(); i++) {
      PromptTokens tokens = tokenizer.encode(texts.get(i));
      truncated[i] = tokens.truncatedTokens();
      System.arraycopy(tokens.ids(), 0, ids, i * len, len);
    }
    NDArray input = batchManager.create(ids, new Shape(texts.size(), len));
    return textEncoder.forward(new NDList(input), batchManager).get(0);
  }

  private static NDArray indexArray(NDManager m, List<SampleRequest> requests, Map<String, Integer> rowOf) {
    long[] idx = new long[requests.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = rowOf.get(requests.get(i).prompt());
    }
    return m.create(idx);
  }

  private int latentSize(GenerationSettings s) {
    return model.latentChannels() * (s.height() / model.vaeScaleFactor()) * (s.width() / model.vaeScaleFactor());
  }

  private static float[] twice(float[] x) {
    float[] out = Arrays.copyOf(x, 2 * x.length);
    System.arraycopy(x, 0, out, x.length, x.length);
    return out;
  }

  /** CHW floats in [0, 1] at {@code offset} to HWC bytes: round(x * 255), half to even like numpy. */
  static byte[] toRgb(float[] chw, int offset, int height, int width) {
    int hw = height * width;
    byte[] rgb = new byte[3 * hw];
    for (int p = 0; p < hw; p++) {
      for (int c = 0; c < 3; c++) {
        float v = chw[offset + c * hw + p] * 255f;
        rgb[3 * p + c] = (byte) (int) Math.rint(v);
      }
    }
    return rgb;
  }
}
