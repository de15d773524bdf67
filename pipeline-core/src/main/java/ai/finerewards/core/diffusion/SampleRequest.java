package ai.finerewards.core.diffusion;

/**
 * One image to generate.
 *
 * @param prompt the prompt text (may be empty: an unconditional sample)
 * @param seed the sample's seed; its initial latents are {@link TorchNoise#randn}(seed, C x h/8 x w/8)
 * @param initialLatents explicit initial latents (C x h/8 x w/8, before the scheduler's
 *     init_noise_sigma) in place of the seed's, e.g. a golden file's; null in production
 */
public record SampleRequest(String prompt, long seed, float[] initialLatents) {
  public SampleRequest {
    if (prompt == null) {
      throw new IllegalArgumentException("prompt is null");
    }
  }

  public static SampleRequest seeded(String prompt, long seed) {
    return new SampleRequest(prompt, seed, null);
  }
}
