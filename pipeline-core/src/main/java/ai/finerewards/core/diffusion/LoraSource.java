package ai.finerewards.core.diffusion;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code finerewards.generate.lora}: which LoRA a round generates with. {@code previous-round}
 * (the RAFT loop: round r uses the checkpoint train committed for round r-1, the base model in round
 * 0), {@code none} (always the base model), or the path of a checkpoint directory (every round
 * uses it: to sample a trained LoRA on new prompts, e.g. held-out ones, or to start from one).
 */
public record LoraSource(Kind kind, Optional<Path> directory) {
  public static final String KEY = "lora";

  public enum Kind { PREVIOUS_ROUND, NONE, DIRECTORY }

  public LoraSource {
    if ((kind == Kind.DIRECTORY) != directory.isPresent()) {
      throw new IllegalArgumentException("a directory goes with kind DIRECTORY only");
    }
  }

  public static LoraSource from(Config generateSection) {
    SectionReader r = new SectionReader(generateSection, GenerateConfig.SECTION);
    String value = r.nonBlankString(KEY).trim();
    return switch (value) {
      case "previous-round" -> new LoraSource(Kind.PREVIOUS_ROUND, Optional.empty());
      case "none" -> new LoraSource(Kind.NONE, Optional.empty());
      default -> new LoraSource(Kind.DIRECTORY, Optional.of(localPath(r.fullKey(KEY), value)));
    };
  }

  private static Path localPath(String key, String value) {
    if (value.startsWith("file:")) {
      return Path.of(java.net.URI.create(value));
    }
    if (value.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
      throw new ConfigError(key, value, "a local checkpoint directory (the generate stage reads LoRA files from a local path only for now)");
    }
    return Path.of(value).toAbsolutePath().normalize();
  }
}
