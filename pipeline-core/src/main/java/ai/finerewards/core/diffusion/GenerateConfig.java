package ai.finerewards.core.diffusion;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The parsed {@code finerewards.generate} section. Immutable and serializable, so the stage's
 * partition function can capture it.
 *
 * @param samplesPerPrompt images per prompt (N), sample_idx 0 .. N-1
 * @param batchSize images per sampler batch (one UNet call per step; guidance doubles the rows)
 * @param settings scheduler, steps, guidance, size and negative prompt
 * @param onEmptyPrompt what happens to an empty or blank prompt
 */
public record GenerateConfig(
    int samplesPerPrompt, int batchSize, GenerationSettings settings, EmptyPromptPolicy onEmptyPrompt)
    implements Serializable {
  public static final String SECTION = "generate";

  public static GenerateConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    int samples = r.intInRange("samples-per-prompt", 1, 100_000);
    int batch = r.intInRange("batch-size", 1, 4096);
    String scheduler = r.oneOf("scheduler", "ddim", "dpmsolver++", "euler", "pndm");
    int steps = r.intInRange("steps", 1, GenerationSettings.MAX_STEPS);
    double guidance = r.doubleInRange("guidance-scale", 1.0, GenerationSettings.MAX_GUIDANCE);
    int height = side(r, "height");
    int width = side(r, "width");
    String negative = r.string("negative-prompt");
    EmptyPromptPolicy policy = r.enumValue("on-empty-prompt", EmptyPromptPolicy.class);
    return new GenerateConfig(samples, batch,
        new GenerationSettings(scheduler, steps, guidance, height, width, negative), policy);
  }

  private static int side(SectionReader r, String key) {
    int v = r.intInRange(key, GenerationSettings.MIN_SIDE, GenerationSettings.MAX_SIDE);
    if (v % 8 != 0) {
      throw new ConfigError(r.fullKey(key), v, "a multiple of 8 from " + GenerationSettings.MIN_SIDE + " to " + GenerationSettings.MAX_SIDE);
    }
    return v;
  }

  /**
   * Image sides against the model's size multiple (VAE factor x UNet downsampling), on the driver:
   * fails naming the key, where the sampler's own check (which knows no keys) would not.
   */
  public void checkSidesFor(DiffusionModelConfig model) {
    int multiple = Math.max(8, model.sizeMultiple());
    for (String key : new String[] {"height", "width"}) {
      int side = key.equals("height") ? settings().height() : settings().width();
      if (side % multiple != 0) {
        throw new ConfigError(SECTION + "." + key, side, "a multiple of " + multiple + " for model "
            + model.modelId() + " (VAE factor " + model.vaeScaleFactor() + " x UNet downsampling)");
      }
    }
  }
}
