package ai.finerewards.core.diffusion;

import ai.finerewards.core.diffusion.scheduler.Schedulers;
import java.io.Serializable;
import java.util.Locale;

/**
 * How a batch is sampled. Checked when built (ranges) and again against the model by
 * {@link StableDiffusionSampler} before any work (size multiple, latent size).
 *
 * @param scheduler a {@link Schedulers#NAMES} name
 * @param steps denoising steps, 1 to 1000
 * @param guidanceScale classifier-free guidance scale, 1 to 100 (1 = no guidance: one UNet pass per step)
 * @param height image height in pixels, 8 to 4096
 * @param width image width in pixels, 8 to 4096
 * @param negativePrompt text of the unconditional branch ("" as diffusers' default)
 */
public record GenerationSettings(
    String scheduler, int steps, double guidanceScale, int height, int width, String negativePrompt)
    implements Serializable {
  public static final int MAX_STEPS = 1000;
  public static final double MAX_GUIDANCE = 100.0;
  public static final int MIN_SIDE = 8;
  public static final int MAX_SIDE = 4096;

  public GenerationSettings {
    if (!Schedulers.NAMES.contains(scheduler)) {
      throw new IllegalArgumentException("scheduler \"" + scheduler + "\": expected one of " + Schedulers.NAMES);
    }
    if (steps < 1 || steps > MAX_STEPS) {
      throw new IllegalArgumentException("steps = " + steps + ": expected 1 to " + MAX_STEPS);
    }
    if (!(guidanceScale >= 1.0 && guidanceScale <= MAX_GUIDANCE)) {
      throw new IllegalArgumentException("guidance scale = " + guidanceScale + ": expected a number from 1 to " + MAX_GUIDANCE);
    }
    checkSide("height", height);
    checkSide("width", width);
    if (negativePrompt == null) {
      throw new IllegalArgumentException("negative prompt is null: expected a string (\"\" for none)");
    }
  }

  private static void checkSide(String name, int v) {
    if (v < MIN_SIDE || v > MAX_SIDE || v % 8 != 0) {
      throw new IllegalArgumentException(name + " = " + v + ": expected a multiple of 8 from " + MIN_SIDE + " to " + MAX_SIDE);
    }
  }

  /** Classifier-free guidance runs when the scale is above 1, as in diffusers. */
  public boolean guided() {
    return guidanceScale > 1.0;
  }

  /** The diffusers class name of the scheduler, recorded in {@code samples.scheduler}. */
  public String schedulerClassName() {
    switch (scheduler) {
      case "ddim": return "DDIMScheduler";
      case "dpmsolver++": return "DPMSolverMultistepScheduler";
      case "euler": return "EulerDiscreteScheduler";
      case "pndm": return "PNDMScheduler";
      default: throw new IllegalStateException(scheduler.toLowerCase(Locale.ROOT));
    }
  }
}
