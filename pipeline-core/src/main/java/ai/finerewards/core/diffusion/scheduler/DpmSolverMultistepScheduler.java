package ai.finerewards.core.diffusion.scheduler;

import java.util.Arrays;

/**
 * DPM-Solver++ multistep (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models", arXiv:2211.01095), at parity with diffusers 0.31.0
 * {@code DPMSolverMultistepScheduler} with algorithm_type dpmsolver++: it integrates the data-prediction
 * ODE in lambda = log(alpha_t / sigma_t), keeps the last {@code solver_order} x0 predictions, and lowers
 * the order at the start and (lower_order_final) at the end. Coefficients are float32 scalars, as
 * diffusers computes them from its float32 sigma table; the sample is updated in float32.
 *
 * <p>Honoured fields and class defaults: num_train_timesteps 1000, beta_start 0.0001, beta_end 0.02,
 * beta_schedule linear, trained_betas, solver_order 2 (1, 2 or 3), prediction_type epsilon
 * (v_prediction, sample), algorithm_type dpmsolver++ ("deis" is mapped to it, as diffusers does),
 * solver_type midpoint (or heun; logrho/bh1/bh2 map to midpoint), lower_order_final true,
 * euler_at_final false, use_karras_sigmas false, final_sigmas_type zero (or sigma_min),
 * lambda_min_clipped -inf, timestep_spacing linspace, steps_offset 0, rescale_betas_zero_snr false,
 * sigma_min / sigma_max (read by the Karras schedule when present, as diffusers' hidden config does).
 * Rejected: the SDE and noise-prediction variants (dpmsolver, sde-dpmsolver, sde-dpmsolver++),
 * thresholding, use_exponential_sigmas, use_beta_sigmas, use_lu_lambdas, and variance_type
 * learned / learned_range.
 */
public final class DpmSolverMultistepScheduler extends BaseScheduler {
  private static final String OWNER = "DpmSolverMultistepScheduler";

  private final NoiseSchedule schedule;
  private final Prediction prediction;
  private final String spacing;
  private final int stepsOffset;
  private final int solverOrder;
  private final boolean heun;
  private final boolean lowerOrderFinal;
  private final boolean eulerAtFinal;
  private final boolean karras;
  private final boolean finalSigmaZero;
  private final double lambdaMinClipped;

  private float[] sigmas;
  private float[][] modelOutputs;
  private int lowerOrderNums;

  public DpmSolverMultistepScheduler(SchedulerConfig config) {
    super(config, OWNER);
    boolean rescale = Fields.or(config.rescaleBetasZeroSnr(), false);
    NoiseSchedule s = NoiseSchedule.from(config, OWNER, rescale);
    this.schedule = rescale ? s.withTerminalAlphaCumprod((float) Math.pow(2, -24)) : s;
    this.prediction = Prediction.parse(OWNER, config.predictionType(),
        Prediction.EPSILON, Prediction.V_PREDICTION, Prediction.SAMPLE);
    this.spacing = Fields.oneOf(OWNER, "timestep_spacing", config.timestepSpacing(), "linspace",
        "linspace", "leading", "trailing");
    this.stepsOffset = Fields.or(config.stepsOffset(), 0);
    this.solverOrder = Fields.or(config.solverOrder(), 2);
    Fields.require(solverOrder >= 1 && solverOrder <= 3, OWNER, "solver_order", solverOrder, "1, 2 or 3");
    Fields.oneOf(OWNER, "algorithm_type", config.algorithmType(), "dpmsolver++", "dpmsolver++", "deis");
    String solver = Fields.oneOf(OWNER, "solver_type", config.solverType(), "midpoint",
        "midpoint", "heun", "logrho", "bh1", "bh2");
    this.heun = solver.equals("heun");
    this.lowerOrderFinal = Fields.or(config.lowerOrderFinal(), true);
    this.eulerAtFinal = Fields.or(config.eulerAtFinal(), false);
    this.karras = Fields.or(config.useKarrasSigmas(), false);
    Fields.rejectTrue(OWNER, "thresholding", config.thresholding(), "dynamic thresholding is not implemented");
    Fields.rejectTrue(OWNER, "use_exponential_sigmas", config.useExponentialSigmas(), "not implemented");
    Fields.rejectTrue(OWNER, "use_beta_sigmas", config.useBetaSigmas(), "not implemented");
    Fields.rejectTrue(OWNER, "use_lu_lambdas", config.useLuLambdas(), "not implemented");
    String variance = config.varianceType();
    Fields.require(variance == null || !(variance.equals("learned") || variance.equals("learned_range")), OWNER,
        "variance_type", variance, "null (a learned variance needs the model's channel layout)");
    this.finalSigmaZero = Fields.oneOf(OWNER, "final_sigmas_type", config.finalSigmasType(), "zero",
        "zero", "sigma_min").equals("zero");
    this.lambdaMinClipped = Fields.or(config.lambdaMinClipped(), Double.NEGATIVE_INFINITY);
  }

  @Override
  public String name() {
    return "dpmsolver++";
  }

  @Override
  public float initNoiseSigma() {
    return 1.0f;
  }

  @Override
  public void setTimesteps(int numInferenceSteps) {
    int n = schedule.numTrainTimesteps;
    checkSteps(OWNER, numInferenceSteps, n);
    float[] trainSigmas = schedule.sigmas();
    int lastTimestep = n - clippedIndex();
    double[] ts = timestepsFor(numInferenceSteps, n, lastTimestep);
    double[] sig;
    if (karras) {
      // diffusers reads sigma_min / sigma_max from the config when present, else the schedule's ends.
      double sigmaMin = config.sigmaMin() != null ? config.sigmaMin() : trainSigmas[0];
      double sigmaMax = config.sigmaMax() != null ? config.sigmaMax() : trainSigmas[n - 1];
      sig = KarrasSigmas.sigmas(sigmaMin, sigmaMax, numInferenceSteps);
      float[] logSigmas = KarrasSigmas.logOf(trainSigmas);
      ts = new double[sig.length];
      for (int i = 0; i < sig.length; i++) {
        ts[i] = Math.rint(KarrasSigmas.sigmaToT(sig[i], logSigmas));
      }
    } else {
      sig = new double[ts.length];
      for (int i = 0; i < ts.length; i++) {
        sig[i] = ArrayMath.interpOnIntegerGrid(ts[i], trainSigmas);
      }
    }
    float[] newSigmas = new float[sig.length + 1];
    for (int i = 0; i < sig.length; i++) {
      newSigmas[i] = (float) sig[i];
    }
    newSigmas[sig.length] = finalSigmaZero ? 0.0f : trainSigmas[0];
    float[] timesteps = new float[ts.length];
    for (int i = 0; i < ts.length; i++) {
      timesteps[i] = (float) ts[i];
    }
    this.sigmas = newSigmas;
    this.modelOutputs = new float[solverOrder][];
    this.lowerOrderNums = 0;
    installTimesteps(timesteps);
  }

  /**
   * How many of the last training steps lambda_min_clipped removes: the number of float32
   * lambda_t = log(alpha_t) - log(sigma_t), sorted ascending, below the clip value.
   */
  private int clippedIndex() {
    if (lambdaMinClipped == Double.NEGATIVE_INFINITY) {
      return 0;
    }
    float[] ac = schedule.alphasCumprod;
    int count = 0;
    for (int i = ac.length - 1; i >= 0; i--) {
      float alpha = (float) Math.sqrt(ac[i]);
      float sigma = (float) Math.sqrt(1.0f - ac[i]);
      float lambda = (float) Math.log(alpha) - (float) Math.log(sigma);
      if (lambda < lambdaMinClipped) {
        count++;
      } else {
        break;
      }
    }
    return count;
  }

  /** Integer timesteps per spacing: n + 1 points with the last (t = 0 end) dropped, as diffusers does. */
  private double[] timestepsFor(int steps, int numTrain, int lastTimestep) {
    double[] ts;
    switch (spacing) {
      case "linspace": {
        double[] all = ArrayMath.reverse(ArrayMath.round(ArrayMath.linspace(0, lastTimestep - 1, steps + 1)));
        ts = Arrays.copyOf(all, steps);
        break;
      }
      case "leading": {
        int ratio = lastTimestep / (steps + 1);
        ts = new double[steps];
        for (int i = 0; i < steps; i++) {
          ts[i] = (double) (steps - i) * ratio + stepsOffset;
        }
        break;
      }
      default: {
        ts = ArrayMath.round(ArrayMath.arange(lastTimestep, 0, -(double) numTrain / steps));
        for (int i = 0; i < ts.length; i++) {
          ts[i] -= 1;
        }
        break;
      }
    }
    return ts;
  }

  @Override
  public float[] scaleModelInput(float[] sample, float timestep) {
    return sample;
  }

  @Override
  public float[] step(float[] modelOutput, float timestep, float[] sample) {
    int idx = currentIndex(timestep);
    checkLengths(modelOutput, sample);
    int n = rawTimesteps().length;
    // Lower the order on the last steps: for few steps (< 15) it is more stable; a zero final sigma
    // always ends with a first-order step (the exact x0 prediction).
    boolean lastFirstOrder = idx == n - 1 && (eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmaZero);
    boolean secondLastLower = idx == n - 2 && lowerOrderFinal && n < 15;

    float[] x0 = dataPrediction(modelOutput, sample, idx);
    System.arraycopy(modelOutputs, 1, modelOutputs, 0, solverOrder - 1);
    modelOutputs[solverOrder - 1] = x0;

    float[] prev;
    if (solverOrder == 1 || lowerOrderNums < 1 || lastFirstOrder) {
      prev = firstOrder(x0, sample, idx);
    } else if (solverOrder == 2 || lowerOrderNums < 2 || secondLastLower) {
      prev = secondOrder(sample, idx);
    } else {
      prev = thirdOrder(sample, idx);
    }
    if (lowerOrderNums < solverOrder) {
      lowerOrderNums++;
    }
    advance();
    return prev;
  }

  /** alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma alpha_t: the VP pair of a VE sigma, in float32. */
  private static float[] alphaSigma(float sigma) {
    float alpha = 1.0f / (float) Math.sqrt(sigma * sigma + 1.0f);
    return new float[] {alpha, sigma * alpha};
  }

  private static float lambda(float[] as) {
    return (float) Math.log(as[0]) - (float) Math.log(as[1]);
  }

  /** The model output converted to the data prediction x0 (DPM-Solver++ integrates in x0, sec. 4). */
  private float[] dataPrediction(float[] m, float[] x, int idx) {
    float[] out = new float[m.length];
    if (prediction == Prediction.SAMPLE) {
      System.arraycopy(m, 0, out, 0, m.length);
      return out;
    }
    float[] as = alphaSigma(sigmas[idx]);
    float alpha = as[0];
    float sigma = as[1];
    for (int i = 0; i < m.length; i++) {
      out[i] = prediction == Prediction.EPSILON ? (x[i] - sigma * m[i]) / alpha : alpha * x[i] - sigma * m[i];
    }
    return out;
  }

  /**
   * DPM-Solver++(1), Lu et al. sec. 4 (the same update as DDIM):
   * x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) x0.
   */
  private float[] firstOrder(float[] x0, float[] x, int idx) {
    float[] t = alphaSigma(sigmas[idx + 1]);
    float[] s = alphaSigma(sigmas[idx]);
    float h = lambda(t) - lambda(s);
    float c0 = t[1] / s[1];
    float c1 = t[0] * ((float) Math.exp(-h) - 1.0f);
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = c0 * x[i] - c1 * x0[i];
    }
    return out;
  }

  /**
   * Multistep DPM-Solver++(2M), Lu et al. Algorithm 2: with r = h_{prev} / h and
   * D1 = (x0_s - x0_{s1}) / r, midpoint: x_t = (sigma_t/sigma_s) x_s - alpha_t (e^{-h}-1) (D0 + D1/2);
   * heun: the same with D1 weighted by alpha_t ((e^{-h}-1)/h + 1) instead.
   */
  private float[] secondOrder(float[] x, int idx) {
    float[] t = alphaSigma(sigmas[idx + 1]);
    float[] s0 = alphaSigma(sigmas[idx]);
    float[] s1 = alphaSigma(sigmas[idx - 1]);
    float lt = lambda(t);
    float ls0 = lambda(s0);
    float ls1 = lambda(s1);
    float[] m0 = modelOutputs[solverOrder - 1];
    float[] m1 = modelOutputs[solverOrder - 2];
    float h = lt - ls0;
    float h0 = ls0 - ls1;
    float r0 = h0 / h;
    float invR0 = 1.0f / r0;
    float expm = (float) Math.exp(-h) - 1.0f;
    float c0 = t[1] / s0[1];
    float c1 = t[0] * expm;
    float c2 = heun ? t[0] * (expm / h + 1.0f) : 0.5f * c1;
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      float d1 = invR0 * (m0[i] - m1[i]);
      out[i] = heun ? (c0 * x[i] - c1 * m0[i]) + c2 * d1 : (c0 * x[i] - c1 * m0[i]) - c2 * d1;
    }
    return out;
  }

  /**
   * Multistep third order: the third-order multistep update derived for DPM-Solver (Lu et al.,
   * arXiv:2206.00927), written for the data prediction as DPM-Solver++ does.
   */
  private float[] thirdOrder(float[] x, int idx) {
    float[] t = alphaSigma(sigmas[idx + 1]);
    float[] s0 = alphaSigma(sigmas[idx]);
    float[] s1 = alphaSigma(sigmas[idx - 1]);
    float[] s2 = alphaSigma(sigmas[idx - 2]);
    float lt = lambda(t);
    float ls0 = lambda(s0);
    float ls1 = lambda(s1);
    float ls2 = lambda(s2);
    float[] m0 = modelOutputs[2];
    float[] m1 = modelOutputs[1];
    float[] m2 = modelOutputs[0];
    float h = lt - ls0;
    float h0 = ls0 - ls1;
    float h1 = ls1 - ls2;
    float r0 = h0 / h;
    float r1 = h1 / h;
    float invR0 = 1.0f / r0;
    float invR1 = 1.0f / r1;
    float w = r0 / (r0 + r1);
    float invSum = 1.0f / (r0 + r1);
    float expm = (float) Math.exp(-h) - 1.0f;
    float c0 = t[1] / s0[1];
    float c1 = t[0] * expm;
    float c2 = t[0] * (expm / h + 1.0f);
    float c3 = t[0] * (((float) Math.exp(-h) - 1.0f + h) / (h * h) - 0.5f);
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      float d10 = invR0 * (m0[i] - m1[i]);
      float d11 = invR1 * (m1[i] - m2[i]);
      float d1 = d10 + w * (d10 - d11);
      float d2 = invSum * (d10 - d11);
      out[i] = ((c0 * x[i] - c1 * m0[i]) + c2 * d1) - c3 * d2;
    }
    return out;
  }

  /** alpha_t x0 + sigma_t noise (the VP forward process), t looked up among the inference timesteps. */
  @Override
  public float[] addNoise(float[] original, float[] noise, float[] timesteps) {
    float[] schedule = rawTimesteps();
    int row = rowLength(original, noise, timesteps);
    float[] out = new float[original.length];
    for (int r = 0; r < timesteps.length; r++) {
      float[] as = alphaSigma(sigmas[indexOf(schedule, timesteps[r])]);
      for (int i = r * row; i < (r + 1) * row; i++) {
        out[i] = as[0] * original[i] + as[1] * noise[i];
      }
    }
    return out;
  }

  /** diffusers' index_for_timestep: the second match if repeated, the last index if absent. */
  private static int indexOf(float[] schedule, float t) {
    int first = -1;
    for (int i = 0; i < schedule.length; i++) {
      if (schedule[i] == t) {
        if (first >= 0) {
          return i;
        }
        first = i;
      }
    }
    return first >= 0 ? first : schedule.length - 1;
  }
}
