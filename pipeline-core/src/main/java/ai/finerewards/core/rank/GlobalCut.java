package ai.finerewards.core.rank;

import java.io.Serializable;

/**
 * The decision of the global top fraction, as one threshold key: a candidate selected in its
 * prompt stays selected iff its {@link SelectionKey} is the threshold or better. Serializable and
 * tiny, so a Spark job can capture it in a per-row function.
 *
 * @param last the k-th best selected key (the last one kept), or null to keep every candidate
 *     selected in its prompt
 */
public record GlobalCut(SelectionKey last) implements Serializable {

  /** Keeps every candidate selected in its prompt (global top fraction off, or 1.0). */
  public static GlobalCut keepAll() {
    return new GlobalCut(null);
  }

  /** Keeps the candidates whose key is {@code kth} or better. */
  public static GlobalCut atKth(SelectionKey kth) {
    if (kth == null) {
      throw new IllegalArgumentException("global cut: the k-th key must not be null");
    }
    return new GlobalCut(kth);
  }

  public boolean keeps(SelectionKey key) {
    return last == null || SelectionKey.BEST_FIRST.compare(key, last) <= 0;
  }

  /** Row form for a Spark job: the four columns of a selected row of {@code ranked}. */
  public boolean keeps(double assembledScore, int rankInPrompt, String promptId, int sampleIdx) {
    return keeps(new SelectionKey(assembledScore, rankInPrompt, promptId, sampleIdx));
  }
}
