package ai.finerewards.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProgressLineTest {
  @Test
  void formatsDoneTotalRateAndElapsed() {
    assertThat(ProgressLine.format("rank", 0, 1_000_000, 1_000_000, 2_000_000_000L))
        .isEqualTo("rank round=0: 1,000,000/1,000,000 rows 500,000 rows/s 2.0s");
  }

  @Test
  void unknownTotalAndZeroElapsed() {
    assertThat(ProgressLine.format("caption", 3, 0, -1, 0)).isEqualTo("caption round=3: 0/? rows 0 rows/s 0.0s");
  }
}
