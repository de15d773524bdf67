package ai.finerewards.core.diffusion.scheduler;

/**
 * The sigma schedule of Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based
 * Generative Models", eq. 5, rho = 7) and the map from a sigma back to a fractional training timestep
 * by interpolating log-sigma, as diffusers' Euler and DPM-Solver schedulers compute them in float64.
 */
final class KarrasSigmas {
  private static final double RHO = 7.0;

  private KarrasSigmas() {}

  /** sigma_i = (sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, i = 0..n-1. */
  static double[] sigmas(double sigmaMin, double sigmaMax, int n) {
    double[] ramp = ArrayMath.linspace(0, 1, n);
    double minInvRho = Math.pow(sigmaMin, 1 / RHO);
    double maxInvRho = Math.pow(sigmaMax, 1 / RHO);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), RHO);
    }
    return out;
  }

  /**
   * The fractional training timestep whose log-sigma matches: find the last training step with
   * log-sigma <= log(sigma) (capped one below the end), interpolate linearly to the next one.
   *
   * @param logSigmas float32 log-sigmas of the training steps, ascending in t
   */
  static double sigmaToT(double sigma, float[] logSigmas) {
    double logSigma = Math.log(Math.max(sigma, 1e-10));
    int low = 0;
    for (int i = 0; i < logSigmas.length; i++) {
      if (logSigma - logSigmas[i] >= 0) {
        low = i;
      }
    }
    low = Math.min(low, logSigmas.length - 2);
    int high = low + 1;
    float lo = logSigmas[low];
    float hi = logSigmas[high];
    // numpy: (float32 - float64) / (float32 - float32): the denominator is a float32 difference.
    double w = (lo - logSigma) / (double) (lo - hi);
    w = Math.max(0, Math.min(1, w));
    return (1 - w) * low + w * high;
  }

  /** float32 log of each sigma, as numpy's log of a float32 array. */
  static float[] logOf(float[] sigmas) {
    float[] out = new float[sigmas.length];
    for (int i = 0; i < sigmas.length; i++) {
      out[i] = (float) Math.log(sigmas[i]);
    }
    return out;
  }
}
