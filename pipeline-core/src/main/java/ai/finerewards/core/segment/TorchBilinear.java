package ai.finerewards.core.segment;

/**
 * {@code torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False)} on
 * one float plane, with the CPU kernel's float arithmetic: source index
 * {@code max((dst + 0.5) * in/out - 0.5, 0)}, weights in float, and
 * {@code h0 * (w0 * v00 + w1 * v01) + h1 * (w0 * v10 + w1 * v11)}. SAM's mask post-processing
 * upsamples with it twice, and the binary masks come from thresholding its output at 0, so the
 * same arithmetic gives the same pixels.
 */
final class TorchBilinear {
  private TorchBilinear() {}

  /** Index pairs and weights along one axis. */
  private record Axis(int[] i0, int[] i1, float[] l0, float[] l1) {
    static Axis of(int in, int out) {
      int[] i0 = new int[out];
      int[] i1 = new int[out];
      float[] l0 = new float[out];
      float[] l1 = new float[out];
      float ratio = (float) in / out;
      for (int o = 0; o < out; o++) {
        if (in == out) {
          i0[o] = o;
          i1[o] = o;
          l0[o] = 1f;
          l1[o] = 0f;
          continue;
        }
        float real = Math.max(ratio * (o + 0.5f) - 0.5f, 0f);
        int idx = Math.min((int) real, in - 1);
        float lambda = Math.min(Math.max(real - idx, 0f), 1f);
        i0[o] = idx;
        i1[o] = idx + (idx < in - 1 ? 1 : 0);
        l1[o] = lambda;
        l0[o] = 1f - lambda;
      }
      return new Axis(i0, i1, l0, l1);
    }
  }

  /**
   * Resizes the top-left {@code inH x inW} region of a plane stored at {@code src[offset]} with row
   * stride {@code stride} (so a crop needs no copy) to {@code outH x outW}.
   */
  static float[] resize(float[] src, int offset, int stride, int inH, int inW, int outH, int outW) {
    Axis ay = Axis.of(inH, outH);
    Axis ax = Axis.of(inW, outW);
    float[] out = new float[outH * outW];
    for (int y = 0; y < outH; y++) {
      int r0 = offset + ay.i0[y] * stride;
      int r1 = offset + ay.i1[y] * stride;
      float h0 = ay.l0[y];
      float h1 = ay.l1[y];
      for (int x = 0; x < outW; x++) {
        int c0 = ax.i0[x];
        int c1 = ax.i1[x];
        float w0 = ax.l0[x];
        float w1 = ax.l1[x];
        out[y * outW + x] = h0 * (w0 * src[r0 + c0] + w1 * src[r0 + c1]) + h1 * (w0 * src[r1 + c0] + w1 * src[r1 + c1]);
      }
    }
    return out;
  }
}
