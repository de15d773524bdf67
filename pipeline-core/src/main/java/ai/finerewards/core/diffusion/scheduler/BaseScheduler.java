package ai.finerewards.core.diffusion.scheduler;

/**
 * What every scheduler shares: its config and noise schedule, the inference timesteps and the step
 * cursor that makes {@code step} refuse to run before {@code setTimesteps} or out of order.
 */
abstract class BaseScheduler implements Scheduler {
  protected final SchedulerConfig config;
  protected final String owner;
  private float[] timesteps;
  private int cursor;

  BaseScheduler(SchedulerConfig config, String owner) {
    if (config == null) {
      throw new NullPointerException(owner + ": scheduler config is null");
    }
    this.config = config;
    this.owner = owner;
  }

  @Override
  public SchedulerConfig config() {
    return config;
  }

  @Override
  public float[] timesteps() {
    requireTimesteps();
    return timesteps.clone();
  }

  /** Rejects a step count the schedule cannot serve; the same bound as diffusers' DDIM. */
  protected static void checkSteps(String owner, int numInferenceSteps, int numTrainTimesteps) {
    if (numInferenceSteps < 1 || numInferenceSteps > numTrainTimesteps) {
      throw new IllegalArgumentException(owner + ": numInferenceSteps = " + numInferenceSteps
          + ": expected 1.." + numTrainTimesteps + " (num_train_timesteps)");
    }
  }

  /** Installs a new timestep list and rewinds the cursor; subclasses reset their own state too. */
  protected final void installTimesteps(float[] newTimesteps) {
    this.timesteps = newTimesteps;
    this.cursor = 0;
  }

  protected final void requireTimesteps() {
    if (timesteps == null) {
      throw new IllegalStateException(owner + ": setTimesteps(numInferenceSteps) must be called before stepping");
    }
  }

  /** Index of the step about to run; checks that {@code timestep} is the loop's next timestep. */
  protected final int currentIndex(float timestep) {
    requireTimesteps();
    if (cursor >= timesteps.length) {
      throw new IllegalStateException(owner + ": all " + timesteps.length
          + " timesteps have been stepped; call setTimesteps again for a new loop");
    }
    if (timesteps[cursor] != timestep) {
      throw new IllegalArgumentException(owner + ": timestep " + timestep + " is not the next timestep of the loop ("
          + timesteps[cursor] + " at index " + cursor + ")");
    }
    return cursor;
  }

  /** Moves the cursor past the step just taken. */
  protected final void advance() {
    cursor++;
  }

  protected final float[] rawTimesteps() {
    requireTimesteps();
    return timesteps;
  }

  protected final void checkLengths(float[] modelOutput, float[] sample) {
    if (modelOutput.length != sample.length) {
      throw new IllegalArgumentException(owner + ": model output has " + modelOutput.length
          + " values but the sample has " + sample.length);
    }
  }

  /** Number of values per batch row in {@code addNoise}, after checking the shapes agree. */
  protected final int rowLength(float[] original, float[] noise, float[] rowTimesteps) {
    if (original.length != noise.length) {
      throw new IllegalArgumentException(owner + ": addNoise: original has " + original.length
          + " values but noise has " + noise.length);
    }
    if (rowTimesteps.length == 0 || original.length % rowTimesteps.length != 0) {
      throw new IllegalArgumentException(owner + ": addNoise: " + rowTimesteps.length
          + " timesteps do not split " + original.length + " values into equal batch rows");
    }
    return original.length / rowTimesteps.length;
  }

  /** An integral training timestep in [0, numTrain), as the discrete schedulers index alpha-bar by it. */
  protected final int discreteTimestep(float timestep, int numTrainTimesteps) {
    int t = (int) timestep;
    if (t != timestep || t < 0 || t >= numTrainTimesteps) {
      throw new IllegalArgumentException(owner + ": timestep " + timestep + " is not an integer in [0, "
          + numTrainTimesteps + ")");
    }
    return t;
  }

  /** The DDPM forward process q(x_t | x_0) = N(sqrt(alpha-bar_t) x_0, (1 - alpha-bar_t) I), Ho et al. eq. 4. */
  protected final float[] addNoiseDdpm(NoiseSchedule schedule, float[] original, float[] noise, float[] ts) {
    int row = rowLength(original, noise, ts);
    float[] out = new float[original.length];
    for (int r = 0; r < ts.length; r++) {
      float ab = schedule.alphasCumprod[discreteTimestep(ts[r], schedule.numTrainTimesteps)];
      float a = (float) Math.sqrt(ab);
      float b = (float) Math.sqrt(1.0f - ab);
      for (int i = r * row; i < (r + 1) * row; i++) {
        out[i] = a * original[i] + b * noise[i];
      }
    }
    return out;
  }
}
