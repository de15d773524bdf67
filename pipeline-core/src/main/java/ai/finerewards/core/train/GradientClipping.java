package ai.finerewards.core.train;

/**
 * {@code torch.nn.utils.clip_grad_norm_} with the L2 norm: the total norm is the norm of the
 * per-parameter norms; gradients are scaled by {@code min(1, maxNorm / (total + 1e-6))}.
 */
final class GradientClipping {
  private GradientClipping() {}

  /** The total L2 norm of all gradients. */
  static double totalNorm(float[][] grads) {
    double sumSquares = 0;
    for (float[] g : grads) {
      double s = 0;
      for (float x : g) {
        s += (double) x * x;
      }
      sumSquares += s;
    }
    return Math.sqrt(sumSquares);
  }

  /**
   * Scales {@code grads} in place so their total norm is at most {@code maxNorm}; a non-positive
   * or infinite maxNorm disables clipping. Returns the norm before clipping.
   */
  static double clip(float[][] grads, double maxNorm) {
    double total = totalNorm(grads);
    if (maxNorm > 0 && Double.isFinite(maxNorm)) {
      float coef = (float) (maxNorm / (total + 1e-6));
      if (coef < 1.0f) {
        for (float[] g : grads) {
          for (int k = 0; k < g.length; k++) {
            g[k] *= coef;
          }
        }
      }
    }
    return total;
  }
}
