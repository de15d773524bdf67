package ai.finerewards.core.caption;

import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The {@code finerewards.caption} section.
 *
 * @param maxNewTokens greedy decoding limit per caption (transformers' max_new_tokens)
 * @param batchSize images captioned together in one batch of the captioner (and texts per CLIP batch)
 * @param maxErrorFraction the stage fails when undecodable images are more than this share of
 *     the round's samples; 0 = any undecodable image fails it
 */
public record CaptionConfig(int maxNewTokens, int batchSize, double maxErrorFraction) implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String SECTION = "caption";

  /** Parse and check the section; a ConfigError names the key, the value and what was expected. */
  public static CaptionConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    return new CaptionConfig(
        r.intInRange("max-new-tokens", 1, 512),
        r.intInRange("batch-size", 1, 4096),
        r.doubleInRange("max-error-fraction", 0.0, 1.0));
  }

  /** Whether {@code errors} failures among {@code total} samples pass the limit (fail the stage). */
  public boolean tooManyErrors(long errors, long total) {
    return total > 0 && (double) errors / total > maxErrorFraction;
  }
}
