package ai.finerewards.core.rank;

import static ai.finerewards.core.rank.RankFixtures.bySample;
import static ai.finerewards.core.rank.RankFixtures.cand;
import static ai.finerewards.core.rank.RankFixtures.capSam;
import static ai.finerewards.core.rank.RankFixtures.config;
import static ai.finerewards.core.rank.RankFixtures.lowerIsBetter;
import static ai.finerewards.core.rank.RankFixtures.order;
import static ai.finerewards.core.rank.RankFixtures.reward;
import static ai.finerewards.core.rank.RankFixtures.selectedSamples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PromptRankerTest {

  /*
   * Four candidates, cap and sam weight 1, higher is better.
   *   idx  cap   sam
   *   0    0.30  0.10
   *   1    0.20  0.40
   *   2    0.30  0.00
   *   3    0.10  0.40
   * cap ranks: 0.30 x2 share positions 1,2 -> 1.5 (idx0, idx2); 0.20 -> 3 (idx1); 0.10 -> 4 (idx3)
   * sam ranks: 0.40 x2 share 1,2 -> 1.5 (idx1, idx3); 0.10 -> 3 (idx0); 0.00 -> 4 (idx2)
   * rank sums: idx0 1.5+3 = 4.5, idx1 3+1.5 = 4.5, idx2 1.5+4 = 5.5, idx3 4+1.5 = 5.5
   * assembled = -rank sum: -4.5, -4.5, -5.5, -5.5
   * rank in prompt: idx0 and idx1 tie at -4.5 -> lower sample_idx first: 0, 1, 2, 3
   */
  private static List<RankCandidate> tiedFour() {
    return List.of(
        cand("p", 0, "cap", 0.30, "sam", 0.10),
        cand("p", 1, "cap", 0.20, "sam", 0.40),
        cand("p", 2, "cap", 0.30, "sam", 0.00),
        cand("p", 3, "cap", 0.10, "sam", 0.40));
  }

  @Test
  void rankSumWithTiesUsesMeanRanksAndLowerSampleIdxBreaksTies() {
    PromptRanking ranking = new PromptRanker(capSam(RankMethod.RANK_SUM, 1)).rank(tiedFour());

    assertThat(ranking.status()).isEqualTo(PromptStatus.OK);
    assertThat(ranking.validCount()).isEqualTo(4);
    assertThat(bySample(ranking, 0).rewardRanks()).containsEntry("cap", 1.5).containsEntry("sam", 3.0);
    assertThat(bySample(ranking, 1).rewardRanks()).containsEntry("cap", 3.0).containsEntry("sam", 1.5);
    assertThat(bySample(ranking, 2).rewardRanks()).containsEntry("cap", 1.5).containsEntry("sam", 4.0);
    assertThat(bySample(ranking, 3).rewardRanks()).containsEntry("cap", 4.0).containsEntry("sam", 1.5);
    assertThat(bySample(ranking, 0).assembledScore()).isEqualTo(-4.5);
    assertThat(bySample(ranking, 1).assembledScore()).isEqualTo(-4.5);
    assertThat(bySample(ranking, 2).assembledScore()).isEqualTo(-5.5);
    assertThat(bySample(ranking, 3).assembledScore()).isEqualTo(-5.5);
    assertThat(order(ranking)).containsExactly(0, 1, 2, 3);
    assertThat(bySample(ranking, 1).rankInPrompt()).isEqualTo(2);
    assertThat(selectedSamples(ranking)).containsExactly(0);
    assertThat(bySample(ranking, 0).selectedInPrompt()).isTrue();
  }

  /*
   * The published reference code summed argsort indices: for cap = sam = [0.9, 0.1, 0.5] the
   * ascending argsort is [1, 2, 0] for both, the "rank sums" [2, 4, 0], and the minimum at
   * position 2 picked candidate 2. With ranks (1 = best): cand0 (1,1) = 2, cand1 (3,3) = 6,
   * cand2 (2,2) = 4, so candidate 0, best on both rewards, is selected.
   */
  @Test
  void selectsTheCandidateBestOnBothRewardsWhereArgsortSumsPickedAnother() {
    PromptRanking ranking =
        new PromptRanker(capSam(RankMethod.RANK_SUM, 1))
            .rank(
                List.of(
                    cand("p", 0, "cap", 0.9, "sam", 0.9),
                    cand("p", 1, "cap", 0.1, "sam", 0.1),
                    cand("p", 2, "cap", 0.5, "sam", 0.5)));
    assertThat(order(ranking)).containsExactly(0, 2, 1);
    assertThat(bySample(ranking, 0).assembledScore()).isEqualTo(-2.0);
    assertThat(bySample(ranking, 2).assembledScore()).isEqualTo(-4.0);
    assertThat(bySample(ranking, 1).assembledScore()).isEqualTo(-6.0);
    assertThat(selectedSamples(ranking)).containsExactly(0);
  }

  @Test
  void keepPerPromptTwoSelectsTheTwoBest() {
    PromptRanking ranking = new PromptRanker(capSam(RankMethod.RANK_SUM, 2)).rank(tiedFour());
    // From the table above: ranks 1 and 2 are idx0 and idx1.
    assertThat(selectedSamples(ranking)).containsExactly(0, 1);
    assertThat(bySample(ranking, 2).selected()).isFalse();
  }

  @Test
  void weightsScaleRanksInTheRankSum() {
    // Same data, sam weight 2: idx0 1.5 + 2*3 = 7.5, idx1 3 + 2*1.5 = 6, idx2 1.5 + 2*4 = 9.5,
    // idx3 4 + 2*1.5 = 7. Best (lowest sum) first: idx1 (-6), idx3 (-7), idx0 (-7.5), idx2 (-9.5).
    RankConfig weighted = config(RankMethod.RANK_SUM, 1, reward("cap", 1), reward("sam", 2));
    PromptRanking ranking = new PromptRanker(weighted).rank(tiedFour());
    assertThat(order(ranking)).containsExactly(1, 3, 0, 2);
    assertThat(bySample(ranking, 1).assembledScore()).isEqualTo(-6.0);
    assertThat(bySample(ranking, 3).assembledScore()).isEqualTo(-7.0);
    assertThat(bySample(ranking, 0).assembledScore()).isEqualTo(-7.5);
    assertThat(bySample(ranking, 2).assembledScore()).isEqualTo(-9.5);
    assertThat(selectedSamples(ranking)).containsExactly(1);
  }

  /*
   * zscore, cap weight 1, sam weight 2:
   *   idx  cap  sam
   *   0    1    0.5
   *   1    2    0.5
   *   2    3   -1.0
   * cap: mean 2, population variance (1+0+1)/3 = 2/3, std sqrt(2/3); z = -sqrt(3/2), 0, +sqrt(3/2)
   * sam: mean (0.5+0.5-1)/3 = 0, variance (0.25+0.25+1)/3 = 0.5, std sqrt(1/2);
   *      z = 0.5/sqrt(1/2) = sqrt(1/2)... = 1/sqrt2, 1/sqrt2, -1/sqrt(1/2) = -sqrt2
   * assembled = z_cap + 2 z_sam:
   *   idx0 -sqrt(1.5) + sqrt2 =  0.1894686...
   *   idx1  0         + sqrt2 =  1.4142135...
   *   idx2  sqrt(1.5) - 2sqrt2 = -1.6036822...
   * order: idx1, idx0, idx2
   */
  @Test
  void zscoreUsesPopulationStdAndWeights() {
    RankConfig z = config(RankMethod.ZSCORE, 1, reward("cap", 1), reward("sam", 2));
    PromptRanking ranking =
        new PromptRanker(z)
            .rank(
                List.of(
                    cand("p", 0, "cap", 1.0, "sam", 0.5),
                    cand("p", 1, "cap", 2.0, "sam", 0.5),
                    cand("p", 2, "cap", 3.0, "sam", -1.0)));
    double sqrt2 = Math.sqrt(2);
    double sqrt15 = Math.sqrt(1.5);
    assertThat(bySample(ranking, 0).assembledScore()).isCloseTo(-sqrt15 + sqrt2, within(1e-12));
    assertThat(bySample(ranking, 1).assembledScore()).isCloseTo(sqrt2, within(1e-12));
    assertThat(bySample(ranking, 2).assembledScore()).isCloseTo(sqrt15 - 2 * sqrt2, within(1e-12));
    assertThat(order(ranking)).containsExactly(1, 0, 2);
    // Per-reward ranks are reported for every method: cap 3,2,1; sam 0.5 x2 -> 1.5, -1 -> 3.
    assertThat(bySample(ranking, 0).rewardRanks()).containsEntry("cap", 3.0).containsEntry("sam", 1.5);
    assertThat(bySample(ranking, 2).rewardRanks()).containsEntry("cap", 1.0).containsEntry("sam", 3.0);
  }

  @Test
  void zscoreOfAConstantRewardIsZeroNotRoundingNoise() {
    // sam is 0.1 everywhere: std 0 -> z 0 for all (0.1*3/3 is not exactly 0.1, so a computed std
    // would be a tiny non-zero number). The cap z decides: cap 1, 2, 3 -> z -1.2247, 0, 1.2247.
    PromptRanking ranking =
        new PromptRanker(capSam(RankMethod.ZSCORE, 1))
            .rank(
                List.of(
                    cand("p", 0, "cap", 1.0, "sam", 0.1),
                    cand("p", 1, "cap", 2.0, "sam", 0.1),
                    cand("p", 2, "cap", 3.0, "sam", 0.1)));
    assertThat(bySample(ranking, 1).assembledScore()).isEqualTo(0.0);
    assertThat(bySample(ranking, 2).assembledScore()).isCloseTo(Math.sqrt(1.5), within(1e-12));
    assertThat(order(ranking)).containsExactly(2, 1, 0);
  }

  /*
   * weighted-sum with cap (w 1, higher better), loss (w 0.5, LOWER better), extra (w 0):
   *   idx  cap  loss  extra
   *   0    0.5  0.2   9
   *   1    0.6  0.6   1
   *   2    0.4  0.0   null   <- missing, but a zero-weight reward excludes nobody
   * score = cap - 0.5*loss: idx0 0.5-0.1 = 0.4, idx1 0.6-0.3 = 0.3, idx2 0.4-0 = 0.4
   * idx0 and idx2 tie at 0.4 -> lower sample_idx first: order 0, 2, 1
   * ranks: cap idx1 1, idx0 2, idx2 3; loss (lower better) idx2 1, idx0 2, idx1 3;
   *        extra among those that have it: idx0 1, idx1 2, idx2 null
   */
  @Test
  void weightedSumHonoursDirectionAndZeroWeight() {
    RankConfig ws =
        config(
            RankMethod.WEIGHTED_SUM, 1, reward("cap", 1), lowerIsBetter("loss", 0.5), reward("extra", 0));
    PromptRanking ranking =
        new PromptRanker(ws)
            .rank(
                List.of(
                    cand("p", 0, "cap", 0.5, "loss", 0.2, "extra", 9.0),
                    cand("p", 1, "cap", 0.6, "loss", 0.6, "extra", 1.0),
                    cand("p", 2, "cap", 0.4, "loss", 0.0, "extra", null)));
    assertThat(ranking.validCount()).isEqualTo(3);
    assertThat(bySample(ranking, 0).assembledScore()).isCloseTo(0.4, within(1e-15));
    assertThat(bySample(ranking, 1).assembledScore()).isCloseTo(0.3, within(1e-15));
    assertThat(bySample(ranking, 2).assembledScore()).isCloseTo(0.4, within(1e-15));
    assertThat(order(ranking)).containsExactly(0, 2, 1);
    assertThat(bySample(ranking, 2).rewardRanks())
        .containsEntry("cap", 3.0)
        .containsEntry("loss", 1.0)
        .containsEntry("extra", null);
    assertThat(bySample(ranking, 1).rewardRanks())
        .containsEntry("cap", 1.0)
        .containsEntry("loss", 3.0)
        .containsEntry("extra", 2.0);
    assertThat(selectedSamples(ranking)).containsExactly(0);
  }

  @Test
  void lowerIsBetterFlipsTheRankInTheRankSum() {
    // loss lower-is-better only: 0.3 (idx0) rank 2, 0.1 (idx1) rank 1, 0.5 (idx2) rank 3.
    RankConfig lossOnly = config(RankMethod.RANK_SUM, 1, lowerIsBetter("loss", 1));
    PromptRanking ranking =
        new PromptRanker(lossOnly)
            .rank(List.of(cand("p", 0, "loss", 0.3), cand("p", 1, "loss", 0.1), cand("p", 2, "loss", 0.5)));
    assertThat(order(ranking)).containsExactly(1, 0, 2);
    assertThat(bySample(ranking, 2).rewardRanks()).containsEntry("loss", 3.0);
    assertThat(bySample(ranking, 2).assembledScore()).isEqualTo(-3.0);
  }

  @Test
  void zeroWeightRewardDoesNotChangeTheSelection() {
    // With sam weight 0 only cap counts: cap 0.30 x2 tie (idx0, idx2) -> idx0 by sample_idx.
    RankConfig capOnly = config(RankMethod.RANK_SUM, 1, reward("cap", 1), reward("sam", 0));
    PromptRanking ranking = new PromptRanker(capOnly).rank(tiedFour());
    assertThat(bySample(ranking, 0).assembledScore()).isEqualTo(-1.5);
    assertThat(bySample(ranking, 2).assembledScore()).isEqualTo(-1.5);
    assertThat(bySample(ranking, 1).assembledScore()).isEqualTo(-3.0);
    assertThat(order(ranking)).containsExactly(0, 2, 1, 3);
    // sam still gets its ranks in the output.
    assertThat(bySample(ranking, 2).rewardRanks()).containsEntry("sam", 4.0);
  }

  /*
   *   idx  cap    sam      outcome
   *   0    NaN    0.3      missing_reward:cap
   *   1    0.2    null     missing_reward:sam
   *   2    0.5    0.1      valid
   *   3    0.1    0.2      valid
   *   4    +Inf   0.0      nonfinite_reward:cap
   *   5    0.9    (absent) missing_reward:sam
   *   6    null   NaN      missing_reward:cap (first missing reward in config order)
   * valid idx2, idx3: cap ranks 1, 2; sam ranks 2, 1; sums 3 and 3 -> tie -> idx2 first.
   */
  @Test
  void missingNanAndInfiniteRewardsExcludeTheCandidateButKeepItInTheOutput() {
    Map<String, Double> onlyCap = new HashMap<>();
    onlyCap.put("cap", 0.9);
    List<RankCandidate> input =
        List.of(
            cand("p", 0, "cap", Double.NaN, "sam", 0.3),
            cand("p", 1, "cap", 0.2, "sam", null),
            cand("p", 2, "cap", 0.5, "sam", 0.1),
            cand("p", 3, "cap", 0.1, "sam", 0.2),
            cand("p", 4, "cap", Double.POSITIVE_INFINITY, "sam", 0.0),
            new RankCandidate("p", 5, onlyCap),
            cand("p", 6, "cap", null, "sam", Double.NaN));
    PromptRanking ranking = new PromptRanker(capSam(RankMethod.RANK_SUM, 1)).rank(input);

    assertThat(ranking.candidateCount()).isEqualTo(7);
    assertThat(ranking.validCount()).isEqualTo(2);
    assertThat(order(ranking)).containsExactly(2, 3, 0, 1, 4, 5, 6);
    assertThat(bySample(ranking, 0).excludedReason()).isEqualTo("missing_reward:cap");
    assertThat(bySample(ranking, 1).excludedReason()).isEqualTo("missing_reward:sam");
    assertThat(bySample(ranking, 4).excludedReason()).isEqualTo("nonfinite_reward:cap");
    assertThat(bySample(ranking, 5).excludedReason()).isEqualTo("missing_reward:sam");
    assertThat(bySample(ranking, 6).excludedReason()).isEqualTo("missing_reward:cap");
    RankedCandidate excluded = bySample(ranking, 0);
    assertThat(excluded.assembledScore()).isNull();
    assertThat(excluded.rankInPrompt()).isNull();
    assertThat(excluded.rewardRanks()).containsEntry("cap", null).containsEntry("sam", null);
    assertThat(excluded.selected()).isFalse();
    // The excluded ones do not take part in the ranks: only two valid candidates.
    assertThat(bySample(ranking, 2).rewardRanks()).containsEntry("cap", 1.0).containsEntry("sam", 2.0);
    assertThat(bySample(ranking, 3).rewardRanks()).containsEntry("cap", 2.0).containsEntry("sam", 1.0);
    assertThat(bySample(ranking, 2).rankInPrompt()).isEqualTo(1);
    assertThat(selectedSamples(ranking)).containsExactly(2);
    // inputIndex points back to the caller's list.
    assertThat(bySample(ranking, 5).inputIndex()).isEqualTo(5);
  }

  @Test
  void promptWhoseEveryCandidateMissesARewardSelectsNothing() {
    PromptRanking ranking =
        new PromptRanker(capSam(RankMethod.ZSCORE, 1))
            .rank(
                List.of(
                    cand("empty", 0, "cap", 0.4, "sam", Double.NaN),
                    cand("empty", 1, "cap", null, "sam", 0.2)));
    assertThat(ranking.status()).isEqualTo(PromptStatus.NO_VALID_CANDIDATE);
    assertThat(ranking.validCount()).isZero();
    assertThat(ranking.candidateCount()).isEqualTo(2);
    assertThat(selectedSamples(ranking)).isEmpty();
    assertThat(ranking.candidates()).allMatch(RankedCandidate::excluded);
  }

  @Test
  void tooFewValidCandidatesAreRankedButNotSelected() {
    RankConfig needThree = new RankConfig(RankMethod.RANK_SUM, capSam(RankMethod.RANK_SUM, 1).rewards(), 1, 3, 1.0);
    PromptRanking ranking =
        new PromptRanker(needThree)
            .rank(
                List.of(
                    cand("few", 0, "cap", 0.1, "sam", 0.1),
                    cand("few", 1, "cap", 0.2, "sam", 0.2),
                    cand("few", 2, "cap", 0.3, "sam", null)));
    assertThat(ranking.status()).isEqualTo(PromptStatus.TOO_FEW_VALID_CANDIDATES);
    assertThat(ranking.validCount()).isEqualTo(2);
    assertThat(bySample(ranking, 1).rankInPrompt()).isEqualTo(1);
    assertThat(selectedSamples(ranking)).isEmpty();
  }

  @Test
  void singleCandidateIsRankOneInEveryMethod() {
    List<RankCandidate> one = List.of(cand("solo", 7, "cap", 0.25, "sam", -0.5));
    // rank-sum: ranks 1 and 1 -> -(1+1) = -2; zscore: std 0 -> 0; weighted-sum: 0.25-0.5 = -0.25.
    Map<RankMethod, Double> expected =
        Map.of(RankMethod.RANK_SUM, -2.0, RankMethod.ZSCORE, 0.0, RankMethod.WEIGHTED_SUM, -0.25);
    for (RankMethod method : RankMethod.values()) {
      PromptRanking ranking = new PromptRanker(capSam(method, 1)).rank(one);
      RankedCandidate c = ranking.candidates().get(0);
      assertThat(c.assembledScore()).as(method.configName()).isEqualTo(expected.get(method));
      assertThat(c.rankInPrompt()).isEqualTo(1);
      assertThat(c.rewardRanks()).containsEntry("cap", 1.0).containsEntry("sam", 1.0);
      assertThat(c.selected()).isTrue();
    }
  }

  @Test
  void resultDoesNotDependOnInputOrder() {
    // Coarse values (0.0 .. 0.4) force many ties; every method, 30 shuffles each.
    Random random = new Random(7);
    List<RankCandidate> input = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Double sam = i == 5 ? null : random.nextInt(5) / 10.0;
      input.add(cand("shuffled", i * 3, "cap", random.nextInt(5) / 10.0, "sam", sam));
    }
    for (RankMethod method : RankMethod.values()) {
      PromptRanker ranker = new PromptRanker(capSam(method, 3));
      List<String> reference = fingerprint(ranker.rank(input));
      for (int s = 0; s < 30; s++) {
        List<RankCandidate> shuffled = new ArrayList<>(input);
        Collections.shuffle(shuffled, random);
        assertThat(fingerprint(ranker.rank(shuffled))).as(method.configName()).isEqualTo(reference);
      }
    }
  }

  /** Everything but inputIndex, with scores as exact bits. */
  private static List<String> fingerprint(PromptRanking ranking) {
    return ranking.candidates().stream()
        .map(
            c ->
                c.sampleIdx() + " " + c.rewardRanks() + " "
                    + (c.assembledScore() == null ? "null" : Double.doubleToLongBits(c.assembledScore()))
                    + " " + c.rankInPrompt() + " " + c.selected() + " " + c.excludedReason())
        .toList();
  }

  @Test
  void globalFractionConfiguredLeavesSelectedFalseUntilTheCutIsApplied() {
    RankConfig withCut = new RankConfig(RankMethod.RANK_SUM, capSam(RankMethod.RANK_SUM, 1).rewards(), 1, 1, 0.5);
    PromptRanking ranking = new PromptRanker(withCut).rank(tiedFour());
    assertThat(bySample(ranking, 0).selectedInPrompt()).isTrue();
    assertThat(bySample(ranking, 0).selected()).isFalse();
  }

  @Test
  void rejectsGroupsThatAreNotOnePromptWithUniqueSamples() {
    PromptRanker ranker = new PromptRanker(capSam(RankMethod.RANK_SUM, 1));
    assertThatThrownBy(() -> ranker.rank(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one candidate");
    assertThatThrownBy(
            () -> ranker.rank(List.of(cand("a", 0, "cap", 1.0, "sam", 1.0), cand("b", 1, "cap", 1.0, "sam", 1.0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a'")
        .hasMessageContaining("'b'");
    assertThatThrownBy(
            () -> ranker.rank(List.of(cand("a", 4, "cap", 1.0, "sam", 1.0), cand("a", 4, "cap", 2.0, "sam", 1.0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sample_idx 4");
  }

  @Test
  void overflowingWeightedSumFailsNamingTheSample() {
    RankConfig ws = capSam(RankMethod.WEIGHTED_SUM, 1);
    PromptRanker ranker = new PromptRanker(ws);
    assertThatThrownBy(
            () -> ranker.rank(List.of(cand("big", 3, "cap", Double.MAX_VALUE, "sam", Double.MAX_VALUE))))
        .isInstanceOf(ArithmeticException.class)
        .hasMessageContaining("'big'")
        .hasMessageContaining("sample_idx 3");
  }

  @Test
  void negativeZeroScoreIsWrittenAsZero() {
    // loss lower-is-better, value 0.0 -> oriented -0.0; weighted sum must store +0.0.
    RankConfig ws = config(RankMethod.WEIGHTED_SUM, 1, lowerIsBetter("loss", 1));
    PromptRanking ranking = new PromptRanker(ws).rank(List.of(cand("z", 0, "loss", 0.0)));
    assertThat(Double.doubleToRawLongBits(ranking.candidates().get(0).assembledScore()))
        .isEqualTo(Double.doubleToRawLongBits(0.0));
  }
}
