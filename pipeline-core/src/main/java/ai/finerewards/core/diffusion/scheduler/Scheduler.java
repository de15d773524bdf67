package ai.finerewards.core.diffusion.scheduler;

/**
 * A diffusion sampling scheduler: the math that turns a model output at one timestep into the
 * sample of the next, at numerical parity with the diffusers 0.31.0 class of the same algorithm.
 * No model inside; samples are flattened float32 arrays (any layout: the schedulers work per element,
 * and {@link #addNoise} per row of a batch).
 *
 * <p>Use it as diffusers' pipeline does:
 *
 * <pre>{@code
 * scheduler.setTimesteps(steps);
 * float[] x = scale(noise, scheduler.initNoiseSigma());
 * for (float t : scheduler.timesteps()) {
 *   float[] eps = model(scheduler.scaleModelInput(x, t), t);
 *   x = scheduler.step(eps, t, x);
 * }
 * }</pre>
 *
 * <p>A scheduler is stateful (step counter, solver history) and not thread-safe: use one per
 * sampling loop. {@link #setTimesteps} resets all state; {@link #step} and {@link #scaleModelInput}
 * before it throw {@link IllegalStateException}, and a timestep other than the next one of
 * {@link #timesteps()} throws {@link IllegalArgumentException}.
 */
public interface Scheduler {

  /** The factory name: {@code ddim}, {@code dpmsolver++}, {@code euler} or {@code pndm}. */
  String name();

  /** The config this scheduler was built from (fields the file lacked stay absent). */
  SchedulerConfig config();

  /** Computes the inference timesteps and resets every piece of state. */
  void setTimesteps(int numInferenceSteps);

  /**
   * The timesteps of the loop, in order, as the UNet receives them (float32; integral for DDIM,
   * DPM-Solver and PNDM). PNDM repeats one timestep, so it has one more entry than steps asked for.
   *
   * @throws IllegalStateException before {@link #setTimesteps}
   */
  float[] timesteps();

  /** The factor by which the initial Gaussian noise is multiplied before the first step. */
  float initNoiseSigma();

  /**
   * The sample scaled for the model at {@code timestep} (the next timestep of the loop). Only Euler
   * scales (by 1 / sqrt(sigma^2 + 1)); the others return {@code sample} itself.
   */
  float[] scaleModelInput(float[] sample, float timestep);

  /**
   * One denoising step: from the model output at {@code timestep} and the current (unscaled) sample,
   * the sample at the next timestep. Inputs are not modified.
   */
  float[] step(float[] modelOutput, float timestep, float[] sample);

  /**
   * The forward process for training: {@code original} noised to {@code timesteps[r]} for each batch
   * row r (rows are {@code original.length / timesteps.length} consecutive values).
   */
  float[] addNoise(float[] original, float[] noise, float[] timesteps);
}
