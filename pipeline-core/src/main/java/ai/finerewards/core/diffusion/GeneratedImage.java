package ai.finerewards.core.diffusion;

/**
 * One generated image.
 *
 * @param rgb 8-bit RGB pixels, height x width x 3 (HWC), as diffusers' image processor rounds them
 * @param png the same pixels as deterministic PNG bytes, or null until {@link #withPng()}
 * @param truncatedTokens prompt tokens dropped by the text encoder's limit
 */
public record GeneratedImage(int width, int height, byte[] rgb, byte[] png, int truncatedTokens) {
  /** This image with its PNG bytes (PngEncoder: deterministic, so where it runs does not matter). */
  public GeneratedImage withPng() {
    return png != null ? this : new GeneratedImage(width, height, rgb, PngEncoder.encodeRgb(rgb, width, height), truncatedTokens);
  }
}
