package ai.finerewards.core.run;

import java.util.Locale;

/**
 * Formats one console progress line of a stage, e.g.
 * {@code rank round=0: 1,000,000/1,000,000 rows 512,340 rows/s 1.9s}. An unknown total prints as
 * {@code ?}.
 */
public final class ProgressLine {
  private ProgressLine() {}

  /**
   * @param total rows expected, or a negative number when unknown
   * @param elapsedNanos time since the stage started
   */
  public static String format(String stage, int round, long done, long total, long elapsedNanos) {
    double seconds = elapsedNanos / 1e9;
    long rate = seconds > 0 ? Math.round(done / seconds) : 0;
    String of = total >= 0 ? String.format(Locale.ROOT, "%,d", total) : "?";
    return String.format(Locale.ROOT, "%s round=%d: %,d/%s rows %,d rows/s %.1fs", stage, round, done, of, rate, seconds);
  }
}
