package ai.finerewards.core.clip;

/** The caption reward of DESIGN.md: the cosine similarity of the prompt's and the caption's CLIP text embeddings. */
public final class CaptionReward {
  private CaptionReward() {}

  /**
   * {@code a.b / (|a| |b|)} in double. The tower already L2-normalises, so this is the dot product
   * up to rounding; dividing by the norms keeps the result in [-1, 1] for fp16 exports too.
   */
  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("embeddings of different sizes: " + a.length + " and " + b.length);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    if (na == 0 || nb == 0) {
      throw new IllegalArgumentException("cosine of a zero embedding is undefined");
    }
    double c = dot / Math.sqrt(na * nb);
    return Math.max(-1.0, Math.min(1.0, c));
  }
}
