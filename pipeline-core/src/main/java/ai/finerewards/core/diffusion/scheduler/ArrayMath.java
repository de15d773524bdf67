package ai.finerewards.core.diffusion.scheduler;

/**
 * The few numpy/torch array constructors the schedulers use, reproduced to the last bit where the
 * reference's result feeds a timestep (an integer that must match exactly) or a float32 table.
 */
final class ArrayMath {
  private ArrayMath() {}

  /**
   * {@code np.linspace(start, stop, num)} in float64: {@code i * ((stop - start) / (num - 1)) + start},
   * with the last value set to {@code stop} exactly, as numpy does.
   */
  static double[] linspace(double start, double stop, int num) {
    double[] out = new double[num];
    if (num == 1) {
      out[0] = start;
      return out;
    }
    double step = (stop - start) / (num - 1);
    for (int i = 0; i < num; i++) {
      out[i] = i * step + start;
    }
    out[num - 1] = stop;
    return out;
  }

  /**
   * {@code torch.linspace(start, end, num, dtype=float32)} on CPU: the step is computed in float32 and
   * each value as one fused multiply-add from the nearer end (checked bit for bit against torch 2.7.1).
   */
  static float[] torchLinspaceF32(double start, double end, int num) {
    float s = (float) start;
    float e = (float) end;
    float[] out = new float[num];
    if (num == 1) {
      out[0] = s;
      return out;
    }
    float step = (e - s) / (float) (num - 1);
    int halfway = num / 2;
    for (int i = 0; i < num; i++) {
      out[i] = i < halfway ? Math.fma(step, (float) i, s) : Math.fma(-step, (float) (num - 1 - i), e);
    }
    return out;
  }

  /**
   * {@code np.arange(start, stop, step)} for a float64 step: the length is
   * {@code ceil((stop - start) / step)} and value i is {@code start + i * delta} with
   * {@code delta = (start + step) - start}, as numpy's fill computes it.
   */
  static double[] arange(double start, double stop, double step) {
    int len = (int) Math.max(0, Math.ceil((stop - start) / step));
    double[] out = new double[len];
    if (len == 0) {
      return out;
    }
    out[0] = start;
    double delta = (start + step) - start;
    for (int i = 1; i < len; i++) {
      out[i] = start + i * delta;
    }
    return out;
  }

  /** numpy's {@code round}: half to even. */
  static double[] round(double[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Math.rint(values[i]);
    }
    return out;
  }

  static double[] reverse(double[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[values.length - 1 - i];
    }
    return out;
  }

  /**
   * {@code np.interp(x, arange(len(fp)), fp)}: piecewise-linear interpolation on the integer grid,
   * {@code slope * (x - j) + fp[j]}, clamped to the end values outside the grid.
   */
  static double interpOnIntegerGrid(double x, float[] fp) {
    int last = fp.length - 1;
    if (x <= 0) {
      return fp[0];
    }
    if (x >= last) {
      return fp[last];
    }
    int j = (int) Math.floor(x);
    double slope = ((double) fp[j + 1] - (double) fp[j]) / 1.0;
    return slope * (x - j) + fp[j];
  }
}
