package ai.finerewards.core.segment;

/**
 * SamImageProcessor.post_process_masks without binarising: low-res logits bilinear to the pad size,
 * cropped to the resized image, bilinear to the original size.
 */
public record MaskUpscaler(int padH, int padW, int resizedH, int resizedW, int originalH, int originalW) {

  /** The {@code lowH x lowW} plane at {@code lowRes[offset]} as logits at the original size. */
  public float[] upscale(float[] lowRes, int offset, int lowH, int lowW) {
    float[] padded = TorchBilinear.resize(lowRes, offset, lowW, lowH, lowW, padH, padW);
    return TorchBilinear.resize(padded, 0, padW, resizedH, resizedW, originalH, originalW);
  }
}
