package ai.finerewards.core.diffusion;

/** Sees the batch's latents after each denoising step (diffusers' callback_on_step_end), e.g. for tests. */
@FunctionalInterface
public interface StepListener {
  StepListener NONE = (step, timestep, latents) -> {};

  /** @param latents the batch's latents after the step, B x C x h x w, row-major; do not modify */
  void afterStep(int step, float timestep, float[] latents);
}
