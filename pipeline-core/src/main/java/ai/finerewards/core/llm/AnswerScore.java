package ai.finerewards.core.llm;

/**
 * The LLM's answer to one rating question.
 *
 * @param p1 probability of "1" (unlikely), renormalised over the three answers
 * @param p2 probability of "2" (may appear)
 * @param p3 probability of "3" (certain)
 * @param answerMass the three answers' share of the full next-token distribution before renormalising
 * @param expectedScore 1 p1 + 2 p2 + 3 p3, in [1, 3]
 */
public record AnswerScore(double p1, double p2, double p3, double answerMass, double expectedScore) {

  /** From the last-position logits row at {@code offset} (vocabulary size {@code v}). */
  public static AnswerScore fromLogits(float[] logits, int offset, int v, long[] answerIds) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < v; k++) {
      max = Math.max(max, logits[offset + k]);
    }
    double sum = 0;
    for (int k = 0; k < v; k++) {
      sum += Math.exp(logits[offset + k] - max);
    }
    double[] e = new double[3];
    double answerSum = 0;
    for (int k = 0; k < 3; k++) {
      e[k] = Math.exp(logits[offset + (int) answerIds[k]] - max);
      answerSum += e[k];
    }
    double p1 = e[0] / answerSum;
    double p2 = e[1] / answerSum;
    double p3 = e[2] / answerSum;
    return new AnswerScore(p1, p2, p3, answerSum / sum, p1 + 2 * p2 + 3 * p3);
  }
}
