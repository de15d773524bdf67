package ai.finerewards.core.diffusion.scheduler;

/**
 * The Euler sampler of Karras et al. 2022 (Algorithm 2 with gamma = 0 and no second-order correction) on the
 * probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma, at parity with diffusers 0.31.0
 * {@code EulerDiscreteScheduler}. Timesteps are fractional (float32), sigmas are interpolated in
 * float64 and stored in float32, and each step runs in float32, as in diffusers.
 *
 * <p>Honoured fields and class defaults: num_train_timesteps 1000, beta_start 0.0001, beta_end 0.02,
 * beta_schedule linear, trained_betas, prediction_type epsilon (v_prediction, sample, original_sample),
 * interpolation_type linear, use_karras_sigmas false, sigma_min / sigma_max (Karras range; default the
 * schedule's ends), timestep_spacing linspace, timestep_type discrete, steps_offset 0,
 * rescale_betas_zero_snr false, final_sigmas_type zero. Rejected: interpolation_type log_linear,
 * use_exponential_sigmas, use_beta_sigmas, and timestep_type continuous with v_prediction.
 */
public final class EulerDiscreteScheduler extends BaseScheduler {
  private static final String OWNER = "EulerDiscreteScheduler";

  private final NoiseSchedule schedule;
  private final Prediction prediction;
  private final String spacing;
  private final int stepsOffset;
  private final boolean karras;
  private final String finalSigmasType;

  private float[] sigmas;

  public EulerDiscreteScheduler(SchedulerConfig config) {
    super(config, OWNER);
    boolean rescale = Fields.or(config.rescaleBetasZeroSnr(), false);
    NoiseSchedule s = NoiseSchedule.from(config, OWNER, rescale);
    // Close to 0 without being 0, so the first sigma is finite (diffusers: the smallest fp16 subnormal).
    this.schedule = rescale ? s.withTerminalAlphaCumprod((float) Math.pow(2, -24)) : s;
    String pred = config.predictionType();
    this.prediction = "original_sample".equals(pred) ? Prediction.SAMPLE
        : Prediction.parse(OWNER, pred, Prediction.EPSILON, Prediction.V_PREDICTION, Prediction.SAMPLE);
    this.spacing = Fields.oneOf(OWNER, "timestep_spacing", config.timestepSpacing(), "linspace",
        "linspace", "leading", "trailing");
    this.stepsOffset = Fields.or(config.stepsOffset(), 0);
    Fields.oneOf(OWNER, "interpolation_type", config.interpolationType(), "linear", "linear");
    String timestepType = Fields.oneOf(OWNER, "timestep_type", config.timestepType(), "discrete",
        "discrete", "continuous");
    Fields.require(!(timestepType.equals("continuous") && prediction == Prediction.V_PREDICTION), OWNER,
        "timestep_type", timestepType, "discrete (continuous EDM timesteps with v_prediction are not implemented)");
    Fields.rejectTrue(OWNER, "use_exponential_sigmas", config.useExponentialSigmas(), "not implemented");
    Fields.rejectTrue(OWNER, "use_beta_sigmas", config.useBetaSigmas(), "not implemented");
    this.karras = Fields.or(config.useKarrasSigmas(), false);
    this.finalSigmasType = Fields.oneOf(OWNER, "final_sigmas_type", config.finalSigmasType(), "zero",
        "zero", "sigma_min");
  }

  @Override
  public String name() {
    return "euler";
  }

  /** The largest sigma (linspace, trailing) or sqrt(sigma_max^2 + 1) (leading), in float32. */
  @Override
  public float initNoiseSigma() {
    float[] s = sigmas != null ? sigmas : trainingSigmasDescending();
    float max = Float.NEGATIVE_INFINITY;
    for (float v : s) {
      max = Math.max(max, v);
    }
    return spacing.equals("leading") ? (float) Math.sqrt(max * max + 1.0f) : max;
  }

  private float[] trainingSigmasDescending() {
    float[] asc = schedule.sigmas();
    float[] out = new float[asc.length + 1];
    for (int i = 0; i < asc.length; i++) {
      out[i] = asc[asc.length - 1 - i];
    }
    return out;
  }

  @Override
  public void setTimesteps(int numInferenceSteps) {
    int n = schedule.numTrainTimesteps;
    checkSteps(OWNER, numInferenceSteps, n);
    double[] ts = timestepsFor(numInferenceSteps, n);
    float[] trainSigmas = schedule.sigmas();
    float[] logSigmas = KarrasSigmas.logOf(trainSigmas);
    double[] sig = new double[ts.length];
    for (int i = 0; i < ts.length; i++) {
      sig[i] = ArrayMath.interpOnIntegerGrid(ts[i], trainSigmas);
    }
    if (karras) {
      double sigmaMin = config.sigmaMin() != null ? config.sigmaMin() : sig[sig.length - 1];
      double sigmaMax = config.sigmaMax() != null ? config.sigmaMax() : sig[0];
      sig = KarrasSigmas.sigmas(sigmaMin, sigmaMax, numInferenceSteps);
      ts = new double[sig.length];
      for (int i = 0; i < sig.length; i++) {
        ts[i] = KarrasSigmas.sigmaToT(sig[i], logSigmas);
      }
    }
    float[] newSigmas = new float[sig.length + 1];
    for (int i = 0; i < sig.length; i++) {
      newSigmas[i] = (float) sig[i];
    }
    newSigmas[sig.length] = finalSigmasType.equals("zero") ? 0.0f : trainSigmas[0];
    float[] timesteps = new float[ts.length];
    for (int i = 0; i < ts.length; i++) {
      timesteps[i] = (float) ts[i];
    }
    this.sigmas = newSigmas;
    installTimesteps(timesteps);
  }

  /** The fractional timesteps for each spacing, as float32 values held in doubles. */
  private double[] timestepsFor(int steps, int numTrain) {
    double[] ts;
    switch (spacing) {
      case "linspace":
        ts = ArrayMath.reverse(ArrayMath.linspace(0, numTrain - 1, steps));
        break;
      case "leading": {
        int ratio = numTrain / steps;
        ts = new double[steps];
        for (int i = 0; i < steps; i++) {
          ts[i] = (double) (steps - 1 - i) * ratio;
        }
        break;
      }
      default: {
        ts = ArrayMath.round(ArrayMath.arange(numTrain, 0, -(double) numTrain / steps));
        break;
      }
    }
    // diffusers casts the timesteps to float32 before interpolating the sigmas.
    for (int i = 0; i < ts.length; i++) {
      float f = (float) ts[i];
      if (spacing.equals("leading")) {
        f += stepsOffset;
      } else if (spacing.equals("trailing")) {
        f -= 1.0f;
      }
      ts[i] = f;
    }
    return ts;
  }

  /** x / sqrt(sigma^2 + 1): the input scaling c_in of Karras et al. Table 1 for the VP-trained model. */
  @Override
  public float[] scaleModelInput(float[] sample, float timestep) {
    int i = currentIndex(timestep);
    float sigma = sigmas[i];
    float denom = (float) Math.sqrt(sigma * sigma + 1.0f);
    float[] out = new float[sample.length];
    for (int k = 0; k < sample.length; k++) {
      out[k] = sample[k] / denom;
    }
    return out;
  }

  /**
   * One Euler step (Karras et al. Algorithm 2 with gamma = 0, first order): D = denoised estimate,
   * d = (x - D) / sigma, x' = x + d (sigma_next - sigma).
   */
  @Override
  public float[] step(float[] modelOutput, float timestep, float[] sample) {
    int idx = currentIndex(timestep);
    checkLengths(modelOutput, sample);
    float sigma = sigmas[idx];
    float sigmaHat = sigma; // sigma * (gamma + 1) with gamma = 0
    float dt = sigmas[idx + 1] - sigmaHat;
    float cOut = -sigma / (float) Math.sqrt(sigma * sigma + 1.0f);
    float cSkipDenom = sigma * sigma + 1.0f;
    float[] out = new float[sample.length];
    for (int i = 0; i < sample.length; i++) {
      float x = sample[i];
      float m = modelOutput[i];
      float denoised;
      switch (prediction) {
        case EPSILON:
          denoised = x - sigmaHat * m;
          break;
        case SAMPLE:
          denoised = m;
          break;
        default: // v-prediction: D = c_out v + c_skip x (Karras et al. Table 1, VP column)
          denoised = m * cOut + x / cSkipDenom;
          break;
      }
      float derivative = (x - denoised) / sigmaHat;
      out[i] = x + derivative * dt;
    }
    advance();
    return out;
  }

  /** x + sigma(t) noise, with t looked up among the current inference timesteps (VE form). */
  @Override
  public float[] addNoise(float[] original, float[] noise, float[] timesteps) {
    float[] schedule = rawTimesteps();
    int row = rowLength(original, noise, timesteps);
    float[] out = new float[original.length];
    for (int r = 0; r < timesteps.length; r++) {
      float sigma = sigmas[indexOf(schedule, timesteps[r])];
      for (int i = r * row; i < (r + 1) * row; i++) {
        out[i] = original[i] + noise[i] * sigma;
      }
    }
    return out;
  }

  /** diffusers' index_for_timestep: the second match if the timestep repeats, else the only one. */
  private int indexOf(float[] schedule, float t) {
    int first = -1;
    for (int i = 0; i < schedule.length; i++) {
      if (schedule[i] == t) {
        if (first >= 0) {
          return i;
        }
        first = i;
      }
    }
    if (first < 0) {
      throw new IllegalArgumentException(OWNER + ": addNoise timestep " + t + " is not one of the inference timesteps");
    }
    return first;
  }
}
