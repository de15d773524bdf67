package ai.finerewards.core.diffusion.scheduler;

import java.util.List;

/**
 * Builds a scheduler by name from a {@code scheduler_config.json}, as diffusers'
 * {@code Class.from_config(config)} does: fields the config has are used, the rest take the chosen
 * class's defaults, and fields the class does not know are ignored (e.g. PNDM's skip_prk_steps when
 * building DPM-Solver++ from Stable Diffusion's PNDM config).
 */
public final class Schedulers {
  /** The names {@link #create} accepts. */
  public static final List<String> NAMES = List.of("ddim", "dpmsolver++", "euler", "pndm");

  private Schedulers() {}

  /**
   * @param name {@code ddim}, {@code dpmsolver++}, {@code euler} or {@code pndm}
   * @throws IllegalArgumentException for another name
   * @throws SchedulerConfigError for a config value the scheduler does not support
   */
  public static Scheduler create(String name, SchedulerConfig config) {
    if (name == null) {
      throw new IllegalArgumentException("scheduler name is null: expected one of " + String.join(", ", NAMES));
    }
    switch (name) {
      case "ddim":
        return new DdimScheduler(config);
      case "dpmsolver++":
        return new DpmSolverMultistepScheduler(config);
      case "euler":
        return new EulerDiscreteScheduler(config);
      case "pndm":
        return new PndmScheduler(config);
      default:
        throw new IllegalArgumentException(
            "scheduler name \"" + name + "\": expected one of " + String.join(", ", NAMES));
    }
  }
}
