package ai.finerewards.core.segment;

import java.io.Serializable;

/**
 * The automatic-mask-generation thresholds (segment-anything's SamAutomaticMaskGenerator names,
 * single crop). Comparisons are strict as in transformers' mask-generation pipeline.
 *
 * @param pointsPerSide the prompt grid is pointsPerSide x pointsPerSide points over the image
 * @param pointsPerBatch points sent through the mask decoder in one forward pass
 * @param predIouThresh keep a mask when its predicted IoU is above this
 * @param stabilityScoreThresh keep a mask when its stability score is above this
 * @param stabilityScoreOffset logit offset of the stability score
 * @param maskThreshold logit threshold that binarises a mask
 * @param boxNmsThresh drop a mask whose box IoU with a better kept mask is above this
 * @param minMaskArea drop masks with fewer pixels than this (0 = off)
 */
public record AmgSettings(
    int pointsPerSide,
    int pointsPerBatch,
    double predIouThresh,
    double stabilityScoreThresh,
    double stabilityScoreOffset,
    double maskThreshold,
    double boxNmsThresh,
    int minMaskArea) implements Serializable {
  private static final long serialVersionUID = 1L;

  public AmgSettings {
    if (pointsPerSide < 1 || pointsPerBatch < 1 || minMaskArea < 0) {
      throw new IllegalArgumentException("points-per-side and points-per-batch must be >= 1, min-mask-area >= 0");
    }
  }
}
