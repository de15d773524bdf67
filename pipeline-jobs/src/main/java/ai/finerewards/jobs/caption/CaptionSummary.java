package ai.finerewards.jobs.caption;

import java.util.List;
import java.util.Locale;

/**
 * What the caption stage reports: samples, undecodable images and their share against the limit,
 * and how many prompt embeddings the text tower computed for how many distinct prompts of captioned
 * samples (equal on local[N]; up to one per executor per prompt on a cluster).
 */
public record CaptionSummary(long samples, long errors, long distinctPrompts, long promptEmbeddings,
    double maxErrorFraction, List<String> errorExamples) {

  public double errorFraction() {
    return samples == 0 ? 0.0 : (double) errors / samples;
  }

  /** The stage's console summary. */
  public String describe() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "caption: %d samples, %d captioned, %d undecodable images (%.2f%%, limit %.2f%%)%n",
        samples, samples - errors, errors, 100 * errorFraction(), 100 * maxErrorFraction));
    s.append(String.format(Locale.ROOT, "caption: %d prompt embeddings computed for %d distinct prompts of captioned samples%n",
        promptEmbeddings, distinctPrompts));
    for (String e : errorExamples) {
      s.append("caption: error ").append(e).append(System.lineSeparator());
    }
    return s.toString();
  }

  /** The message of a stage that fails on too many undecodable images. */
  public String failure() {
    return String.format(Locale.ROOT,
        "caption: %d of %d samples (%.2f%%) have undecodable images, more than finerewards.caption."
            + "max-error-fraction = %s; nothing committed. First errors: %s",
        errors, samples, 100 * errorFraction(), maxErrorFraction, errorExamples);
  }
}
