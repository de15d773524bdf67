package ai.finerewards.core.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamRewardTest {
  @Test
  void meanScoreMapsToMinusHalfToHalf() {
    assertThat(SamReward.of(List.of(3.0, 3.0), 0.0).value()).isEqualTo(0.5);
    assertThat(SamReward.of(List.of(1.0), 0.0).value()).isEqualTo(-0.5);
    assertThat(SamReward.of(List.of(1.5, 2.5, 2.9), 0.0).value()).isCloseTo((2.3 - 2) / 2, within(1e-12));
    assertThat(SamReward.of(List.of(2.0), 0.0).noLabels()).isFalse();
  }

  @Test
  void noLabelsGetsTheConfiguredValueAndFlag() {
    SamReward r = SamReward.of(List.of(), -0.25);
    assertThat(r.value()).isEqualTo(-0.25);
    assertThat(r.noLabels()).isTrue();
  }

  @Test
  void placeholdersAreFilledOncePerPass() {
    String q = Placeholders.fill("scene {scene}, label {label}, other {x}",
        Map.of("scene", "a {label} on {scene}", "label", "cat"));
    assertThat(q).isEqualTo("scene a {label} on {scene}, label cat, other {x}");
  }
}
