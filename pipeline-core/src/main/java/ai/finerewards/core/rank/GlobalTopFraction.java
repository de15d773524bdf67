package ai.finerewards.core.rank;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The optional second pass: keep only the best fraction f of the candidates selected in their
 * prompts, over the whole round.
 *
 * <p>Rule: with S candidates selected in their prompts, keep k = ceil(f * S) of them (f taken as
 * the decimal number written in config, so 0.1 * 30 is exactly 3, not 4), namely the first k in
 * {@link SelectionKey} order. k is 0 only when S is 0; with f = 1 every one is kept. Because that
 * order is strict, exactly k are kept, whatever the ties in score.
 *
 * <p>In Spark, without collecting the rows (see docs/ranking.md): count S of the rows with {@code
 * selected_in_prompt}; k = {@link #keepCount}; take the k-th row of those rows sorted by {@link
 * SelectionKey}'s order ({@code orderBy(...).offset(k - 1).limit(1)}, one row to the driver);
 * build {@link GlobalCut#atKth} from it; then a per-row map sets {@code selected =
 * selected_in_prompt && cut.keeps(score, rank_in_prompt, prompt_id, sample_idx)}.
 */
public final class GlobalTopFraction {

  private GlobalTopFraction() {}

  /** k = ceil(fraction * selectedInPrompt), with the fraction read as its decimal string. */
  public static long keepCount(long selectedInPrompt, double fraction) {
    if (selectedInPrompt < 0) {
      throw new IllegalArgumentException("selected count must be >= 0, got " + selectedInPrompt);
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("global top fraction must be in (0, 1], got " + fraction);
    }
    // Double.toString gives the shortest decimal that round-trips: 0.1 stays 0.1, not 0.1000..055.
    return new BigDecimal(Double.toString(fraction))
        .multiply(BigDecimal.valueOf(selectedInPrompt))
        .setScale(0, RoundingMode.CEILING)
        .longValueExact();
  }

  /**
   * The cut for an in-memory set of keys (tests, the benchmark, small runs): sorts the keys of the
   * candidates selected in their prompts and returns the cut at the k-th.
   */
  public static GlobalCut cut(Collection<SelectionKey> selectedInPrompt, double fraction) {
    long k = keepCount(selectedInPrompt.size(), fraction);
    if (k == selectedInPrompt.size()) {
      return GlobalCut.keepAll();
    }
    List<SelectionKey> sorted = new ArrayList<>(selectedInPrompt);
    sorted.sort(SelectionKey.BEST_FIRST);
    return GlobalCut.atKth(sorted.get((int) k - 1));
  }

  /** Applies the configured fraction to in-memory rankings: sets every candidate's selected. */
  public static List<PromptRanking> apply(List<PromptRanking> rankings, double fraction) {
    List<SelectionKey> keys = new ArrayList<>();
    for (PromptRanking ranking : rankings) {
      for (RankedCandidate candidate : ranking.candidates()) {
        if (candidate.selectedInPrompt()) {
          keys.add(candidate.selectionKey());
        }
      }
    }
    GlobalCut cut = cut(keys, fraction);
    return rankings.stream().map(r -> r.withGlobalCut(cut)).toList();
  }
}
