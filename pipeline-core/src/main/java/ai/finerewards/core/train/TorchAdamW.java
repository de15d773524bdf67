package ai.finerewards.core.train;

import java.util.Arrays;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (single-tensor path: foreach=False, amsgrad=False,
 * maximize=False) computes it, on float32 host arrays. DJL's Adam adds epsilon before the bias
 * correction, which moves LoRA weights by about 1e-3 relative while gradients are tiny; this class
 * follows torch (Loshchilov and Hutter 2019, Algorithm 2, with torch's order of operations):
 *
 * <pre>
 * p  *= 1 - lr * wd
 * m   = lerp(m, g, 1 - beta1)
 * v   = v * beta2 + (1 - beta2) * g * g
 * p  += -(lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * Scalars are computed in double and applied in float32, as torch's CPU kernels do for float
 * tensors. The state (t, m, v) is exposed for checkpoints.
 */
public final class TorchAdamW {
  /** The hyper-parameters besides the learning rate (which may change per step). */
  public record Hyper(double beta1, double beta2, double eps, double weightDecay) {
    public Hyper {
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("AdamW betas must be in [0, 1): " + beta1 + ", " + beta2);
      }
      if (!(eps > 0) || !(weightDecay >= 0)) {
        throw new IllegalArgumentException("AdamW eps must be > 0 and weight decay >= 0: " + eps
            + ", " + weightDecay);
      }
    }
  }

  private final Hyper hyper;
  private final float[][] expAvg;
  private final float[][] expAvgSq;
  private long step;

  /** A fresh optimiser for parameters of these sizes (moments zero, step 0). */
  public TorchAdamW(Hyper hyper, int[] sizes) {
    this.hyper = hyper;
    this.expAvg = new float[sizes.length][];
    this.expAvgSq = new float[sizes.length][];
    for (int i = 0; i < sizes.length; i++) {
      expAvg[i] = new float[sizes[i]];
      expAvgSq[i] = new float[sizes[i]];
    }
  }

  /** An optimiser resumed from saved state (arrays are copied). */
  public static TorchAdamW restore(Hyper hyper, long step, float[][] expAvg, float[][] expAvgSq) {
    int[] sizes = Arrays.stream(expAvg).mapToInt(a -> a.length).toArray();
    TorchAdamW o = new TorchAdamW(hyper, sizes);
    if (expAvgSq.length != expAvg.length) {
      throw new IllegalArgumentException("AdamW state: " + expAvg.length + " first moments but "
          + expAvgSq.length + " second moments");
    }
    for (int i = 0; i < sizes.length; i++) {
      if (expAvgSq[i].length != sizes[i]) {
        throw new IllegalArgumentException("AdamW state: moment sizes differ for parameter " + i);
      }
      System.arraycopy(expAvg[i], 0, o.expAvg[i], 0, sizes[i]);
      System.arraycopy(expAvgSq[i], 0, o.expAvgSq[i], 0, sizes[i]);
    }
    o.step = step;
    return o;
  }

  /** Updates {@code params} in place from {@code grads} with learning rate {@code lr}. */
  public void step(float[][] params, float[][] grads, double lr) {
    if (params.length != expAvg.length || grads.length != expAvg.length) {
      throw new IllegalArgumentException("AdamW over " + expAvg.length + " parameters got "
          + params.length + " parameters and " + grads.length + " gradients");
    }
    step++;
    float decay = (float) (1 - lr * hyper.weightDecay());
    float lerpWeight = (float) (1 - hyper.beta1());
    float beta2 = (float) hyper.beta2();
    float oneMinusBeta2 = (float) (1 - hyper.beta2());
    double biasCorrection1 = 1 - Math.pow(hyper.beta1(), step);
    double biasCorrection2 = 1 - Math.pow(hyper.beta2(), step);
    float negStepSize = (float) -(lr / biasCorrection1);
    float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
    float eps = (float) hyper.eps();
    for (int i = 0; i < params.length; i++) {
      float[] p = params[i];
      float[] g = grads[i];
      float[] m = expAvg[i];
      float[] v = expAvgSq[i];
      if (p.length != m.length || g.length != m.length) {
        throw new IllegalArgumentException("AdamW parameter " + i + " has " + p.length
            + " values and gradient " + g.length + ", state holds " + m.length);
      }
      for (int k = 0; k < p.length; k++) {
        p[k] = p[k] * decay;
        m[k] = lerp(m[k], g[k], lerpWeight);
        v[k] = v[k] * beta2 + oneMinusBeta2 * g[k] * g[k];
        float denom = (float) Math.sqrt(v[k]) / bc2Sqrt + eps;
        p[k] = p[k] + negStepSize * (m[k] / denom);
      }
    }
  }

  /** torch.lerp's two-sided formula, which keeps precision near both ends. */
  private static float lerp(float self, float end, float w) {
    return Math.abs(w) < 0.5f ? self + w * (end - self) : end - (end - self) * (1 - w);
  }

  public Hyper hyper() {
    return hyper;
  }

  /** Optimiser steps taken (torch's {@code state['step']}). */
  public long stepCount() {
    return step;
  }

  /** First moments (live arrays: copy before keeping). */
  public float[][] expAvg() {
    return expAvg;
  }

  /** Second moments (live arrays: copy before keeping). */
  public float[][] expAvgSq() {
    return expAvgSq;
  }
}
