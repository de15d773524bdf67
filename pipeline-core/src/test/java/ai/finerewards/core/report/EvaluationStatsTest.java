package ai.finerewards.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationStatsTest {
  @Test
  void meanAndMedianPerCheckpointAndRewardSkippingMissingValues() {
    List<EvaluationStats.Value> values = List.of(
        new EvaluationStats.Value(0, "r0-a", "b", 4.0),
        new EvaluationStats.Value(-1, null, "b", 1.0),
        new EvaluationStats.Value(-1, null, "b", 3.0),
        new EvaluationStats.Value(-1, null, "b", 8.0),
        new EvaluationStats.Value(-1, null, "a", null),
        new EvaluationStats.Value(-1, null, "a", 2.0),
        new EvaluationStats.Value(-1, null, "a", 6.0));
    List<EvaluationStats> stats = EvaluationStats.of(values);
    // Base model first (round -1), rewards in first-appearance order (b before a).
    assertThat(stats).containsExactly(
        new EvaluationStats(-1, null, "b", 3, 4.0, 3.0),
        new EvaluationStats(-1, null, "a", 2, 4.0, 4.0),
        new EvaluationStats(0, "r0-a", "b", 1, 4.0, 4.0));
    assertThat(EvaluationStats.table(stats)).contains("base model").contains("LoRA of round 0").contains("r0-a");
  }

  @Test
  void niceTicksCoverTheRange() {
    double[] r = ChartLayout.niceRange(-3.61, -3.56);
    assertThat(r[0]).isLessThanOrEqualTo(-3.61);
    assertThat(r[1]).isGreaterThanOrEqualTo(-3.56);
    assertThat(r[2]).isEqualTo(0.01, org.assertj.core.data.Offset.offset(1e-12)); // 1e-12: the step is 1 x 10^-2 computed in floating point
  }
}
