package ai.finerewards.core.rank;

import java.io.Serializable;
import java.util.Comparator;

/**
 * Orders selected candidates across prompts for the global top fraction, best first:
 *
 * <ol>
 *   <li>assembled score, higher first (doubles compared as Spark SQL does: -0.0 equals 0.0);
 *   <li>rank in prompt, lower first (a prompt's winner beats another prompt's runner-up on a tie);
 *   <li>prompt id, in Unicode code point order, which is the byte order of UTF-8 and therefore
 *       the order of Spark's {@code ORDER BY prompt_id} on a string column;
 *   <li>sample index, lower first.
 * </ol>
 *
 * (prompt id, sample index) is unique, so this is a strict total order: no two candidates tie.
 * The equivalent Spark ordering is {@code orderBy(col("assembled_score").desc(),
 * col("rank_in_prompt").asc(), col("prompt_id").asc(), col("sample_idx").asc())}.
 */
public record SelectionKey(double assembledScore, int rankInPrompt, String promptId, int sampleIdx)
    implements Comparable<SelectionKey>, Serializable {

  /** Best first. */
  public static final Comparator<SelectionKey> BEST_FIRST = SelectionKey::compareBestFirst;

  public SelectionKey {
    if (!Double.isFinite(assembledScore)) {
      throw new IllegalArgumentException("selection key: assembled score must be finite");
    }
    if (promptId == null) {
      throw new IllegalArgumentException("selection key: prompt_id must not be null");
    }
  }

  @Override
  public int compareTo(SelectionKey other) {
    return compareBestFirst(this, other);
  }

  private static int compareBestFirst(SelectionKey a, SelectionKey b) {
    int c = compareScoresDescending(a.assembledScore, b.assembledScore);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.rankInPrompt, b.rankInPrompt);
    if (c != 0) {
      return c;
    }
    c = compareCodePoints(a.promptId, b.promptId);
    if (c != 0) {
      return c;
    }
    return Integer.compare(a.sampleIdx, b.sampleIdx);
  }

  /** Higher first; equal when {@code ==} holds (so -0.0 == 0.0, as in Spark SQL ordering). */
  static int compareScoresDescending(double a, double b) {
    return a == b ? 0 : Double.compare(b, a);
  }

  /**
   * Unicode code point order. String.compareTo compares UTF-16 units, which puts supplementary
   * characters (emoji, rare CJK) before U+E000..U+FFFF; UTF-8 bytes, and Spark, do not.
   */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
