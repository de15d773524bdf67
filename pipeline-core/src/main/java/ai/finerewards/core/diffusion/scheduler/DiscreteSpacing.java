package ai.finerewards.core.diffusion.scheduler;

/**
 * Integer inference timesteps for DDIM and PNDM under each {@code timestep_spacing} (Lin et al. 2023,
 * Table 2), computed with numpy's float64 semantics as diffusers does.
 */
final class DiscreteSpacing {
  private DiscreteSpacing() {}

  /** The timesteps from noisiest to cleanest. */
  static float[] descending(String spacing, int numTrain, int steps, int stepsOffset) {
    double[] ts;
    switch (spacing) {
      case "linspace":
        ts = ArrayMath.reverse(ArrayMath.round(ArrayMath.linspace(0, numTrain - 1, steps)));
        break;
      case "leading": {
        int ratio = numTrain / steps;
        ts = new double[steps];
        for (int i = 0; i < steps; i++) {
          ts[i] = (double) (steps - 1 - i) * ratio + stepsOffset;
        }
        break;
      }
      case "trailing": {
        double ratio = (double) numTrain / steps;
        ts = ArrayMath.round(ArrayMath.arange(numTrain, 0, -ratio));
        for (int i = 0; i < ts.length; i++) {
          ts[i] -= 1;
        }
        break;
      }
      default:
        throw new IllegalStateException("unchecked timestep_spacing " + spacing);
    }
    float[] out = new float[ts.length];
    for (int i = 0; i < ts.length; i++) {
      out[i] = (float) ts[i];
    }
    return out;
  }
}
