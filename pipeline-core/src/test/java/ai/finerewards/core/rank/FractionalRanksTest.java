package ai.finerewards.core.rank;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FractionalRanksTest {

  @Test
  void ranksAreRanksNotArgsortIndices() {
    // values 0.9 0.1 0.5 0.3: sorted largest first 0.9 (idx0), 0.5 (idx2), 0.3 (idx3), 0.1 (idx1).
    // The rank OF each value is [1, 4, 2, 3]; an argsort would give the indices [0, 2, 3, 1].
    assertThat(FractionalRanks.descending(new double[] {0.9, 0.1, 0.5, 0.3}))
        .containsExactly(1, 4, 2, 3);
  }

  @Test
  void tiesShareTheMeanOfTheirPositions() {
    // 0.3 0.3 occupy positions 1 and 2 -> (1+2)/2 = 1.5 each; 0.2 -> 3; 0.1 -> 4.
    assertThat(FractionalRanks.descending(new double[] {0.3, 0.2, 0.3, 0.1}))
        .containsExactly(1.5, 3, 1.5, 4);
    // Three-way tie at the bottom: positions 2,3,4 -> mean 3; the 5.0 is rank 1.
    assertThat(FractionalRanks.descending(new double[] {1.0, 5.0, 1.0, 1.0}))
        .containsExactly(3, 1, 3, 3);
    // All tied: positions 1..4 -> mean 2.5.
    assertThat(FractionalRanks.descending(new double[] {7, 7, 7, 7})).containsExactly(2.5, 2.5, 2.5, 2.5);
  }

  @Test
  void ranksSumToTheTriangleNumber() {
    // Whatever the ties, fractional ranks of n values sum to n(n+1)/2; here n = 6 -> 21.
    double[] ranks = FractionalRanks.descending(new double[] {2, 2, 1, 3, 3, 3});
    assertThat(ranks).containsExactly(4.5, 4.5, 6, 2, 2, 2);
    double sum = 0;
    for (double r : ranks) {
      sum += r;
    }
    assertThat(sum).isEqualTo(21.0);
  }

  @Test
  void emptyAndSingle() {
    assertThat(FractionalRanks.descending(new double[0])).isEmpty();
    assertThat(FractionalRanks.descending(new double[] {-3.5})).containsExactly(1);
  }
}
