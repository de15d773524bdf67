package ai.finerewards.core.segment;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;

/**
 * The parsed {@code finerewards.segment} section: mask generation thresholds and the labeller's
 * vocabulary, template, threshold and crop settings. Serializable for partition functions.
 */
public record SegmentConfig(
    AmgSettings amg, String labelVocabulary, String labelTemplate, double labelThreshold,
    int[] cropBackground, int clipBatchSize) implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String SECTION = "segment";

  public static SegmentConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    AmgSettings amg = new AmgSettings(
        r.intInRange("points-per-side", 1, 128),
        r.intAtLeast("points-per-batch", 1),
        r.doubleInRange("pred-iou-thresh", 0, 1),
        r.doubleInRange("stability-score-thresh", 0, 1),
        r.doubleInRange("stability-score-offset", 0, Double.MAX_VALUE),
        r.doubleInRange("mask-threshold", -Double.MAX_VALUE, Double.MAX_VALUE),
        r.doubleInRange("box-nms-thresh", 0, 1),
        r.intAtLeast("min-mask-area", 0));
    String template = r.nonBlankString("label-template");
    if (!template.contains("{label}")) {
      throw new ConfigError(r.fullKey("label-template"), template, "a text containing {label}");
    }
    List<Integer> bg;
    try {
      bg = section.getIntList("crop-background");
    } catch (RuntimeException e) {
      throw new ConfigError(r.fullKey("crop-background"), r.raw("crop-background"), "a list of 3 integers 0..255");
    }
    if (bg.size() != 3 || bg.stream().anyMatch(v -> v < 0 || v > 255)) {
      throw new ConfigError(r.fullKey("crop-background"), bg, "a list of 3 integers 0..255");
    }
    return new SegmentConfig(amg, r.string("label-vocabulary").trim(), template,
        r.doubleInRange("label-threshold", 0, 1), bg.stream().mapToInt(Integer::intValue).toArray(),
        r.intAtLeast("clip-batch-size", 1));
  }
}
