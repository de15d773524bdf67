package ai.finerewards.core.diffusion.scheduler;

/**
 * The training noise schedule shared by every scheduler: betas and the cumulative products of
 * alphas ({@code alphas_cumprod}, written alpha-bar_t in Ho et al. 2020, eq. 4), in float32 exactly as
 * diffusers computes them with torch (float32 linspace, cumprod accumulated in float64 by torch's CPU
 * kernel and rounded to float32 per element).
 */
final class NoiseSchedule {
  static final int DEFAULT_TRAIN_TIMESTEPS = 1000;

  final int numTrainTimesteps;
  final float[] betas;
  final float[] alphasCumprod;

  private NoiseSchedule(int numTrainTimesteps, float[] betas, float[] alphasCumprod) {
    this.numTrainTimesteps = numTrainTimesteps;
    this.betas = betas;
    this.alphasCumprod = alphasCumprod;
  }

  /**
   * Builds the schedule from the shared fields (the four schedulers have the same defaults for them:
   * 1000 steps, linear betas from 1e-4 to 0.02).
   *
   * @param rescaleZeroSnr whether to apply {@code rescale_betas_zero_snr} (Lin et al. 2023, Algorithm 1)
   */
  static NoiseSchedule from(SchedulerConfig c, String owner, boolean rescaleZeroSnr) {
    int n = Fields.or(c.numTrainTimesteps(), DEFAULT_TRAIN_TIMESTEPS);
    Fields.require(n >= 2, owner, "num_train_timesteps", n, "an integer >= 2");
    float[] betas;
    if (c.trainedBetas() != null) {
      Fields.require(c.trainedBetas().size() == n, owner, "trained_betas", "[" + c.trainedBetas().size() + " values]",
          "exactly num_train_timesteps = " + n + " values");
      betas = new float[n];
      for (int i = 0; i < n; i++) {
        betas[i] = c.trainedBetas().get(i).floatValue();
      }
    } else {
      double start = Fields.or(c.betaStart(), 0.0001);
      double end = Fields.or(c.betaEnd(), 0.02);
      String schedule = Fields.oneOf(owner, "beta_schedule", c.betaSchedule(), "linear",
          "linear", "scaled_linear", "squaredcos_cap_v2");
      switch (schedule) {
        case "linear":
          betas = ArrayMath.torchLinspaceF32(start, end, n);
          break;
        case "scaled_linear":
          // Latent diffusion's schedule: linear in sqrt(beta), then squared (float32 square).
          betas = ArrayMath.torchLinspaceF32(Math.sqrt(start), Math.sqrt(end), n);
          for (int i = 0; i < n; i++) {
            betas[i] = betas[i] * betas[i];
          }
          break;
        default:
          betas = cosineBetas(n);
          break;
      }
    }
    if (rescaleZeroSnr) {
      betas = rescaleZeroTerminalSnr(betas);
    }
    return new NoiseSchedule(n, betas, cumprod(betas));
  }

  /**
   * The cosine schedule of Nichol and Dhariwal 2021, eq. 17: alpha-bar(t) = cos^2(((t + s)/(1 + s)) pi/2)
   * with s = 0.008, beta_i = min(1 - alpha-bar((i+1)/n) / alpha-bar(i/n), 0.999), in float64 then float32.
   */
  private static float[] cosineBetas(int n) {
    float[] betas = new float[n];
    for (int i = 0; i < n; i++) {
      double t1 = (double) i / n;
      double t2 = (double) (i + 1) / n;
      betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
    }
    return betas;
  }

  private static double alphaBar(double t) {
    double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /** alpha-bar_t = prod_{s <= t} (1 - beta_s), accumulated in float64 as torch's CPU cumprod does. */
  private static float[] cumprod(float[] betas) {
    float[] out = new float[betas.length];
    double acc = 1.0;
    for (int i = 0; i < betas.length; i++) {
      acc *= (double) (1.0f - betas[i]);
      out[i] = (float) acc;
    }
    return out;
  }

  /**
   * Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are Flawed"), Algorithm 1:
   * shift and scale sqrt(alpha-bar) so the last step has zero SNR and the first keeps its value.
   */
  private static float[] rescaleZeroTerminalSnr(float[] betas) {
    int n = betas.length;
    float[] sqrtAb = cumprod(betas);
    for (int i = 0; i < n; i++) {
      sqrtAb[i] = (float) Math.sqrt(sqrtAb[i]);
    }
    float first = sqrtAb[0];
    float last = sqrtAb[n - 1];
    float scale = first / (first - last);
    float[] ab = new float[n];
    for (int i = 0; i < n; i++) {
      float s = (sqrtAb[i] - last) * scale;
      ab[i] = s * s;
    }
    float[] out = new float[n];
    out[0] = 1.0f - ab[0];
    for (int i = 1; i < n; i++) {
      out[i] = 1.0f - ab[i] / ab[i - 1];
    }
    return out;
  }

  /** alpha-bar at an integer timestep, or {@code finalValue} for a negative one (the step past t = 0). */
  float alphaCumprodAt(int timestep, float finalValue) {
    return timestep >= 0 ? alphasCumprod[timestep] : finalValue;
  }

  /** The VE-form sigmas of the training steps, sigma_t = sqrt((1 - alpha-bar_t) / alpha-bar_t), in float32. */
  float[] sigmas() {
    float[] s = new float[alphasCumprod.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) Math.sqrt((1.0f - alphasCumprod[i]) / alphasCumprod[i]);
    }
    return s;
  }

  /**
   * A copy whose last alpha-bar is {@code value}: DPM-Solver and Euler set it to 2^-24 after the
   * zero-SNR rescale so the first sigma stays finite.
   */
  NoiseSchedule withTerminalAlphaCumprod(float value) {
    float[] ac = alphasCumprod.clone();
    ac[ac.length - 1] = value;
    return new NoiseSchedule(numTrainTimesteps, betas, ac);
  }
}
