package ai.finerewards.core.diffusion.scheduler;

/**
 * DDIM (Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models"), deterministic (eta = 0),
 * at parity with diffusers 0.31.0 {@code DDIMScheduler}. All coefficients are float32, as diffusers
 * computes them from its float32 alpha-bar table.
 *
 * <p>Honoured fields and class defaults: num_train_timesteps 1000, beta_start 0.0001, beta_end 0.02,
 * beta_schedule linear, trained_betas, clip_sample true, clip_sample_range 1.0, set_alpha_to_one true,
 * steps_offset 0, prediction_type epsilon, timestep_spacing leading, rescale_betas_zero_snr false.
 * Rejected: thresholding = true (dynamic thresholding, unsuited to latent diffusion).
 */
public final class DdimScheduler extends BaseScheduler {
  private static final String OWNER = "DdimScheduler";

  private final NoiseSchedule schedule;
  private final Prediction prediction;
  private final String spacing;
  private final int stepsOffset;
  private final boolean clipSample;
  private final float clipRange;
  private final float finalAlphaCumprod;
  private int numInferenceSteps;

  public DdimScheduler(SchedulerConfig config) {
    super(config, OWNER);
    Fields.rejectTrue(OWNER, "thresholding", config.thresholding(), "dynamic thresholding is not implemented");
    this.schedule = NoiseSchedule.from(config, OWNER, Fields.or(config.rescaleBetasZeroSnr(), false));
    this.prediction = Prediction.parse(OWNER, config.predictionType(),
        Prediction.EPSILON, Prediction.V_PREDICTION, Prediction.SAMPLE);
    this.spacing = Fields.oneOf(OWNER, "timestep_spacing", config.timestepSpacing(), "leading",
        "leading", "trailing", "linspace");
    this.stepsOffset = Fields.or(config.stepsOffset(), 0);
    this.clipSample = Fields.or(config.clipSample(), true);
    this.clipRange = Fields.or(config.clipSampleRange(), 1.0).floatValue();
    // The alpha-bar "before" t = 0: 1 (set_alpha_to_one) or alpha-bar_0.
    this.finalAlphaCumprod = Fields.or(config.setAlphaToOne(), true) ? 1.0f : schedule.alphasCumprod[0];
  }

  @Override
  public String name() {
    return "ddim";
  }

  @Override
  public float initNoiseSigma() {
    return 1.0f;
  }

  @Override
  public void setTimesteps(int numInferenceSteps) {
    int n = schedule.numTrainTimesteps;
    checkSteps(OWNER, numInferenceSteps, n);
    this.numInferenceSteps = numInferenceSteps;
    installTimesteps(DiscreteSpacing.descending(spacing, n, numInferenceSteps, stepsOffset));
  }

  @Override
  public float[] scaleModelInput(float[] sample, float timestep) {
    return sample;
  }

  /**
   * DDIM's update, Song et al. eq. 12 with sigma_t = 0:
   * x_{t-1} = sqrt(a_{t-1}) x0_pred + sqrt(1 - a_{t-1}) eps_pred, where a is alpha-bar and
   * x0_pred = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t) for epsilon prediction.
   */
  @Override
  public float[] step(float[] modelOutput, float timestep, float[] sample) {
    currentIndex(timestep);
    checkLengths(modelOutput, sample);
    int t = discreteTimestep(timestep, schedule.numTrainTimesteps);
    // diffusers steps back by the leading stride whatever the spacing.
    int prevT = t - schedule.numTrainTimesteps / numInferenceSteps;
    float alphaT = schedule.alphasCumprod[t];
    float alphaPrev = schedule.alphaCumprodAt(prevT, finalAlphaCumprod);
    float betaT = 1.0f - alphaT;
    float sqrtAlphaT = (float) Math.sqrt(alphaT);
    float sqrtBetaT = (float) Math.sqrt(betaT);
    float sqrtAlphaPrev = (float) Math.sqrt(alphaPrev);
    // "direction pointing to x_t", eq. 12, with sigma_t = eta * ... = 0.
    float dirCoeff = (float) Math.sqrt((1.0f - alphaPrev) - 0.0f);

    float[] out = new float[sample.length];
    for (int i = 0; i < sample.length; i++) {
      float x = sample[i];
      float m = modelOutput[i];
      float x0;
      float eps;
      switch (prediction) {
        case EPSILON:
          x0 = (x - sqrtBetaT * m) / sqrtAlphaT;
          eps = m;
          break;
        case SAMPLE:
          x0 = m;
          eps = (x - sqrtAlphaT * x0) / sqrtBetaT;
          break;
        default: // v-prediction: x0 = sqrt(a) x - sqrt(1-a) v, eps = sqrt(a) v + sqrt(1-a) x
          x0 = sqrtAlphaT * x - sqrtBetaT * m;
          eps = sqrtAlphaT * m + sqrtBetaT * x;
          break;
      }
      if (clipSample) {
        x0 = Math.max(-clipRange, Math.min(clipRange, x0));
      }
      out[i] = sqrtAlphaPrev * x0 + dirCoeff * eps;
    }
    advance();
    return out;
  }

  @Override
  public float[] addNoise(float[] original, float[] noise, float[] timesteps) {
    return addNoiseDdpm(schedule, original, noise, timesteps);
  }
}
