package ai.finerewards.core.segment;

/**
 * One binary mask that passed the IoU and stability filters.
 *
 * @param candidateIndex position among all P x 3 decoder outputs of the image (point-major)
 * @param predictedIou the decoder's IoU prediction
 * @param stability the stability score
 * @param mask row-major H x W, true = inside
 * @param box inclusive pixel extents {x0, y0, x1, y1} ({0,0,0,0} when empty), as segment-anything
 * @param area number of pixels inside
 */
public record MaskCandidate(int candidateIndex, float predictedIou, float stability, boolean[] mask, int[] box, int area) {}
