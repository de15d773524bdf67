package ai.finerewards.core.rank;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small builders that keep the hand-computed test cases readable. */
final class RankFixtures {

  private RankFixtures() {}

  static RewardSpec reward(String name, double weight) {
    return new RewardSpec(name, weight, true);
  }

  static RewardSpec lowerIsBetter(String name, double weight) {
    return new RewardSpec(name, weight, false);
  }

  static RankConfig config(RankMethod method, int keep, RewardSpec... rewards) {
    return new RankConfig(method, List.of(rewards), keep, 1, 1.0);
  }

  /** Two rewards "cap" and "sam", weight 1 each, higher is better. */
  static RankConfig capSam(RankMethod method, int keep) {
    return config(method, keep, reward("cap", 1), reward("sam", 1));
  }

  /** A candidate of prompt {@code prompt}; rewards given as name, value pairs (value may be null). */
  static RankCandidate cand(String prompt, int idx, Object... nameValue) {
    Map<String, Double> rewards = new HashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      rewards.put((String) nameValue[i], (Double) nameValue[i + 1]);
    }
    return new RankCandidate(prompt, idx, rewards);
  }

  static RankedCandidate bySample(PromptRanking ranking, int sampleIdx) {
    return ranking.candidates().stream()
        .filter(c -> c.sampleIdx() == sampleIdx)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + sampleIdx));
  }

  static List<Integer> selectedSamples(PromptRanking ranking) {
    List<Integer> out = new ArrayList<>();
    for (RankedCandidate c : ranking.candidates()) {
      if (c.selected()) {
        out.add(c.sampleIdx());
      }
    }
    return out;
  }

  /** Sample indices in output order (valid by rank in prompt, then excluded by index). */
  static List<Integer> order(PromptRanking ranking) {
    return ranking.candidates().stream().map(RankedCandidate::sampleIdx).toList();
  }
}
