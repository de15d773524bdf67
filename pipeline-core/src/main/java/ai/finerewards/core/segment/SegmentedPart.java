package ai.finerewards.core.segment;

/**
 * One automatic mask of an image, as the segments table stores it (before labelling).
 *
 * @param partIdx 0-based index in output order (descending predicted IoU after NMS)
 * @param areaFraction mask pixels / image pixels
 * @param x0 left edge, inclusive
 * @param y0 top edge, inclusive
 * @param x1 right edge, exclusive
 * @param y1 bottom edge, exclusive
 * @param stability stability score
 * @param predictedIou the decoder's IoU prediction
 * @param height mask height (the image's)
 * @param width mask width
 * @param rleCounts COCO compressed RLE of the mask
 * @param mask row-major mask, kept in memory for the labeller (not stored)
 */
public record SegmentedPart(
    int partIdx, double areaFraction, int x0, int y0, int x1, int y1, double stability, double predictedIou,
    int height, int width, String rleCounts, boolean[] mask) {

  static SegmentedPart of(int partIdx, MaskCandidate m, int h, int w) {
    int[] b = m.box();
    return new SegmentedPart(partIdx, (double) m.area() / ((long) h * w), b[0], b[1], b[2] + 1, b[3] + 1,
        m.stability(), m.predictedIou(), h, w, CocoRle.encode(m.mask(), h, w), m.mask());
  }
}
