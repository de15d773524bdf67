package ai.finerewards.core.llm;

import java.util.List;

/**
 * The SAM reward of one image: (mean expected score of its distinct labels - 2) / 2, in
 * [-0.5, 0.5]. An image with no labelled part gets the configured neutral value and the no_labels
 * flag, so it is neither rewarded nor punished for having nothing CLIP could name.
 */
public record SamReward(double value, boolean noLabels) {

  public static SamReward of(List<Double> expectedScores, double noLabelsReward) {
    if (expectedScores.isEmpty()) {
      return new SamReward(noLabelsReward, true);
    }
    double sum = 0;
    for (double s : expectedScores) {
      sum += s;
    }
    return new SamReward((sum / expectedScores.size() - 2.0) / 2.0, false);
  }
}
