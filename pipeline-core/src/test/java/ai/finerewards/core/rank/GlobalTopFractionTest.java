package ai.finerewards.core.rank;

import static ai.finerewards.core.rank.RankFixtures.bySample;
import static ai.finerewards.core.rank.RankFixtures.cand;
import static ai.finerewards.core.rank.RankFixtures.capSam;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GlobalTopFractionTest {

  @Test
  void keepCountIsTheCeilingOfTheDecimalFraction() {
    // 0.1 * 30 in binary floating point is 3.0000000000000004 (ceil 4); as a decimal it is 3.
    assertThat(GlobalTopFraction.keepCount(30, 0.1)).isEqualTo(3);
    assertThat(GlobalTopFraction.keepCount(10, 0.25)).isEqualTo(3); // 2.5 -> 3
    assertThat(GlobalTopFraction.keepCount(7, 1.0)).isEqualTo(7);
    assertThat(GlobalTopFraction.keepCount(1, 0.01)).isEqualTo(1); // 0.01 -> 1: never 0 of 1
    assertThat(GlobalTopFraction.keepCount(0, 0.5)).isZero();
    assertThat(GlobalTopFraction.keepCount(100_000, 0.3)).isEqualTo(30_000);
    assertThatThrownBy(() -> GlobalTopFraction.keepCount(5, 0.0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GlobalTopFraction.keepCount(5, 1.5))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void cutKeepsExactlyKAndBreaksScoreTiesByRankThenPromptThenSample() {
    List<SelectionKey> keys =
        List.of(
            new SelectionKey(1.0, 2, "a", 0), // tie on score with the two below, but a runner-up
            new SelectionKey(1.0, 1, "b", 3),
            new SelectionKey(1.0, 1, "a", 9),
            new SelectionKey(2.0, 1, "z", 0),
            new SelectionKey(0.5, 1, "c", 1),
            new SelectionKey(-1.0, 1, "d", 1));
    // Best first: z(2.0) | a#9 (1.0, rank 1, "a") | b#3 (1.0, rank 1, "b") | a#0 (rank 2) | c | d
    // fraction 0.5 of 6 -> k = 3 -> keep z, a#9, b#3.
    GlobalCut cut = GlobalTopFraction.cut(keys, 0.5);
    assertThat(cut.last()).isEqualTo(new SelectionKey(1.0, 1, "b", 3));
    assertThat(keys.stream().filter(cut::keeps).toList())
        .containsExactlyInAnyOrder(keys.get(3), keys.get(2), keys.get(1));
    // The row form used by a Spark job agrees.
    assertThat(cut.keeps(1.0, 2, "a", 0)).isFalse();
    assertThat(cut.keeps(1.0, 1, "a", 9)).isTrue();
    // Fraction 1 keeps all without sorting.
    assertThat(GlobalTopFraction.cut(keys, 1.0)).isEqualTo(GlobalCut.keepAll());
    assertThat(keys).allMatch(GlobalCut.keepAll()::keeps);
  }

  @Test
  void promptIdsCompareInUtf8ByteOrderLikeSpark() {
    String replacementChar = "\uFFFD"; // U+FFFD: UTF-8 EF BF BD
    String emoji = "\uD83D\uDE00"; // U+1F600: UTF-8 F0 9F 98 80; its UTF-16 starts with 0xD83D
    // Java's String.compareTo puts the emoji first (0xD83D < 0xFFFD) ...
    assertThat(emoji.compareTo(replacementChar)).isNegative();
    // ... UTF-8 bytes (Spark's binary string order) and code points put it last.
    byte[] a = replacementChar.getBytes(StandardCharsets.UTF_8);
    byte[] b = emoji.getBytes(StandardCharsets.UTF_8);
    assertThat(Arrays.compareUnsigned(a, b)).isNegative();
    assertThat(SelectionKey.compareCodePoints(replacementChar, emoji)).isNegative();
    assertThat(SelectionKey.compareCodePoints("ab", "abc")).isNegative();
    assertThat(SelectionKey.compareCodePoints("abc", "abc")).isZero();
  }

  @Test
  void negativeZeroEqualsZeroAsInSparkOrdering() {
    assertThat(SelectionKey.compareScoresDescending(-0.0, 0.0)).isZero();
    assertThat(SelectionKey.compareScoresDescending(1.0, 0.5)).isNegative();
  }

  /*
   * End to end, weighted-sum of cap + sam, keep 1 per prompt, global fraction 0.5:
   *   prompt  idx  cap  sam  score
   *   p1      0    0.9  0.1  1.0   <- p1 winner
   *   p1      1    0.2  0.2  0.4
   *   p2      0    0.3  0.3  0.6   <- p2 winner
   *   p3      0    0.5  0.5  1.0   <- p3 winner (ties p1 on score, rank 1 both -> "p1" < "p3")
   *   p4      0    0.1  0.1  0.2   <- p4 winner
   * 4 selected in prompt; k = ceil(0.5 * 4) = 2 -> p1#0 and p3#0.
   */
  @Test
  void applyOverPromptRankingsSelectsTheGlobalBest() {
    RankConfig ws =
        new RankConfig(RankMethod.WEIGHTED_SUM, capSam(RankMethod.WEIGHTED_SUM, 1).rewards(), 1, 1, 0.5);
    PromptRanker ranker = new PromptRanker(ws);
    List<PromptRanking> rankings = new ArrayList<>();
    rankings.add(ranker.rank(List.of(cand("p1", 0, "cap", 0.9, "sam", 0.1), cand("p1", 1, "cap", 0.2, "sam", 0.2))));
    rankings.add(ranker.rank(List.of(cand("p2", 0, "cap", 0.3, "sam", 0.3))));
    rankings.add(ranker.rank(List.of(cand("p3", 0, "cap", 0.5, "sam", 0.5))));
    rankings.add(ranker.rank(List.of(cand("p4", 0, "cap", 0.1, "sam", 0.1))));
    assertThat(rankings).allMatch(r -> r.candidates().stream().noneMatch(RankedCandidate::selected));

    List<PromptRanking> cut = GlobalTopFraction.apply(rankings, ws.globalTopFraction());
    assertThat(bySample(cut.get(0), 0).selected()).isTrue();
    assertThat(bySample(cut.get(0), 1).selected()).isFalse();
    assertThat(bySample(cut.get(1), 0).selected()).isFalse();
    assertThat(bySample(cut.get(1), 0).selectedInPrompt()).isTrue();
    assertThat(bySample(cut.get(2), 0).selected()).isTrue();
    assertThat(bySample(cut.get(3), 0).selected()).isFalse();
    assertThat(RankSummary.of(cut).selected()).isEqualTo(2);
    assertThat(RankSummary.of(cut).selectedInPrompt()).isEqualTo(4);
  }
}
