package ai.finerewards.core.rank;

import static ai.finerewards.core.rank.RankFixtures.cand;
import static ai.finerewards.core.rank.RankFixtures.capSam;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RankSummaryTest {

  private final PromptRanker ranker = new PromptRanker(capSam(RankMethod.RANK_SUM, 1));

  private List<PromptRanking> rankings() {
    List<PromptRanking> out = new ArrayList<>();
    // ok: 3 candidates, one missing sam -> 2 valid, 1 selected
    out.add(ranker.rank(List.of(
        cand("ok", 0, "cap", 0.1, "sam", 0.1),
        cand("ok", 1, "cap", 0.2, "sam", null),
        cand("ok", 2, "cap", 0.3, "sam", 0.3))));
    // 12 prompts with no valid candidate, ids e00..e11 in shuffled insertion order
    int[] order = {7, 3, 11, 0, 9, 1, 10, 4, 8, 2, 6, 5};
    for (int i : order) {
      String id = String.format("e%02d", i);
      out.add(ranker.rank(List.of(
          cand(id, 0, "cap", Double.NaN, "sam", 0.1),
          cand(id, 1, "cap", Double.POSITIVE_INFINITY, "sam", 0.1))));
    }
    return out;
  }

  @Test
  void countsPromptsCandidatesExclusionsAndSelections() {
    RankSummary summary = RankSummary.of(rankings());
    // 1 + 12 prompts; 3 + 12*2 = 27 candidates; 2 valid; excluded: 1 sam, 12 cap NaN, 12 cap inf.
    assertThat(summary.prompts()).isEqualTo(13);
    assertThat(summary.candidates()).isEqualTo(27);
    assertThat(summary.validCandidates()).isEqualTo(2);
    assertThat(summary.excluded()).isEqualTo(25);
    assertThat(summary.excludedByReason())
        .containsExactly(
            java.util.Map.entry("missing_reward:cap", 12L),
            java.util.Map.entry("missing_reward:sam", 1L),
            java.util.Map.entry("nonfinite_reward:cap", 12L));
    assertThat(summary.promptsWithNoValidCandidate()).isEqualTo(12);
    // The 10 smallest ids, whatever the order they arrived in.
    assertThat(summary.noValidCandidateExamples())
        .containsExactly("e00", "e01", "e02", "e03", "e04", "e05", "e06", "e07", "e08", "e09");
    assertThat(summary.selectedInPrompt()).isEqualTo(1);
    assertThat(summary.selected()).isEqualTo(1);
    assertThat(summary.describe())
        .contains("13 prompts, 27 candidates, 2 ranked, 25 excluded")
        .contains("prompts with no valid candidate: 12, e.g. [e00");
  }

  @Test
  void mergingPartitionsEqualsSummarisingAllAtOnce() {
    List<PromptRanking> all = rankings();
    RankSummary whole = RankSummary.of(all);
    RankSummary left = RankSummary.of(all.subList(0, 6));
    RankSummary right = RankSummary.of(all.subList(6, all.size()));
    assertThat(right.merge(left)).isEqualTo(whole);
    assertThat(RankSummary.empty().merge(whole)).isEqualTo(whole);
    assertThat(whole.withSelected(0).selected()).isZero();
  }
}
