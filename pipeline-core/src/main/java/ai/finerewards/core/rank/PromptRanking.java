package ai.finerewards.core.rank;

import java.util.List;

/**
 * The ranking of one prompt's candidates.
 *
 * @param promptId the prompt
 * @param status whether the prompt could select anything
 * @param validCount how many candidates were ranked (not excluded)
 * @param candidates every input candidate exactly once: the valid ones by rank in prompt, then the
 *     excluded ones by sample index
 */
public record PromptRanking(
    String promptId, PromptStatus status, int validCount, List<RankedCandidate> candidates) {

  public PromptRanking {
    candidates = List.copyOf(candidates);
  }

  public int candidateCount() {
    return candidates.size();
  }

  /** This ranking with {@code selected} decided by the global cut for every candidate. */
  public PromptRanking withGlobalCut(GlobalCut cut) {
    return new PromptRanking(
        promptId, status, validCount, candidates.stream().map(c -> c.withGlobalCut(cut)).toList());
  }
}
