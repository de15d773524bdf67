package ai.finerewards.core.evaluate;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import ai.finerewards.core.prompts.PromptsConfig;
import com.typesafe.config.Config;

/**
 * The {@code finerewards.evaluate} section: the held-out prompts (a section of the same keys as
 * {@code finerewards.prompts}, read by the same prompt readers), how many samples each, and the base
 * seed of their noise. Every checkpoint is sampled with the seeds of round 0 under {@code base-seed},
 * so all checkpoints see the same noise and differ only by their weights.
 */
public record EvaluateConfig(PromptsConfig prompts, int samplesPerPrompt, long baseSeed) {
  public static final String SECTION = "evaluate";

  public static EvaluateConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    if (!section.hasPath("prompts")) {
      throw new ConfigError(r.fullKey("prompts"), "(missing)", "a section like finerewards.prompts");
    }
    PromptsConfig prompts;
    try {
      prompts = PromptsConfig.from(section.getConfig("prompts"));
    } catch (ConfigError e) { // name the key where it is: evaluate.prompts.x, not prompts.x
      String msg = e.getMessage();
      int eq = msg.indexOf(" = ");
      int ex = msg.indexOf(": expected ");
      throw new ConfigError(SECTION + "." + e.key(), msg.substring(eq + 3, ex), msg.substring(ex + ": expected ".length()));
    }
    return new EvaluateConfig(prompts, r.intInRange("samples-per-prompt", 1, 100_000), r.longValue("base-seed"));
  }
}
