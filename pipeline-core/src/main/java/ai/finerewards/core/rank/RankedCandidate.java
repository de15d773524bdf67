package ai.finerewards.core.rank;

import java.util.Map;

/**
 * One candidate after ranking: one row of the {@code ranked} table (with the input's columns).
 * Fields that only exist for ranked candidates are null when {@link #excludedReason} is set.
 *
 * @param candidate the input candidate (its key and reward values)
 * @param inputIndex the candidate's position in the list given to {@link PromptRanker#rank}, so a
 *     caller can join back to its own input row
 * @param rewardRanks reward name to fractional rank among the prompt's valid candidates (1 = best,
 *     ties share the mean rank, e.g. 1.5), in config order; null for an excluded candidate or for a
 *     zero-weight reward whose value is missing
 * @param assembledScore the assembled score, higher is better (see {@link RankMethod}); null when
 *     excluded
 * @param rankInPrompt 1-based position among the prompt's valid candidates after the tie-break
 *     (unique within the prompt); null when excluded
 * @param selectedInPrompt true when the candidate is among the prompt's {@code keep-per-prompt}
 *     best and the prompt has at least {@code min-candidates-per-prompt} valid candidates
 * @param selected the final selection the train stage consumes: equal to selectedInPrompt when no
 *     global top fraction is configured; otherwise false until {@link GlobalCut} is applied
 * @param excludedReason why the candidate was left out of ranking ({@link Exclusions}), or null
 */
public record RankedCandidate(
    RankCandidate candidate,
    int inputIndex,
    Map<String, Double> rewardRanks,
    Double assembledScore,
    Integer rankInPrompt,
    boolean selectedInPrompt,
    boolean selected,
    String excludedReason) {

  public String promptId() {
    return candidate.promptId();
  }

  public int sampleIdx() {
    return candidate.sampleIdx();
  }

  public boolean excluded() {
    return excludedReason != null;
  }

  /** The key that orders selected candidates globally; only defined for ranked candidates. */
  public SelectionKey selectionKey() {
    if (excluded()) {
      throw new IllegalStateException(
          "prompt " + promptId() + " sample " + sampleIdx() + " is excluded: " + excludedReason);
    }
    return new SelectionKey(assembledScore, rankInPrompt, promptId(), sampleIdx());
  }

  /** This candidate with {@code selected} decided by the global cut. */
  public RankedCandidate withGlobalCut(GlobalCut cut) {
    boolean keep = selectedInPrompt && cut.keeps(selectionKey());
    return new RankedCandidate(
        candidate,
        inputIndex,
        rewardRanks,
        assembledScore,
        rankInPrompt,
        selectedInPrompt,
        keep,
        excludedReason);
  }
}
