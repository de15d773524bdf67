package ai.finerewards.core.diffusion;

/**
 * One generated image.
 *
 * @param rgb 8-bit RGB pixels, height x width x 3 (HWC), as diffusers' image processor rounds them
 * @param png the same pixels as deterministic PNG bytes
 * @param truncatedTokens prompt tokens dropped by the text encoder's limit
 */
public record GeneratedImage(int width, int height, byte[] rgb, byte[] png, int truncatedTokens) {}
