package ai.finerewards.core.rank;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * One generated image of a prompt, as the rank stage reads it: its key within the round and its
 * reward values. A reward may be absent, null or NaN (the reward stage could not score the image);
 * such a candidate is excluded from ranking, counted and still written.
 *
 * @param promptId the prompt's id; every candidate of one call shares it
 * @param sampleIdx the sample's index within the prompt, unique within the prompt
 * @param rewards reward column name to value; null values are allowed
 */
public record RankCandidate(String promptId, int sampleIdx, Map<String, Double> rewards) {

  public RankCandidate {
    if (promptId == null) {
      throw new IllegalArgumentException("rank candidate: prompt_id must not be null");
    }
    // Map.copyOf rejects null values, and a null reward is a legitimate input here.
    rewards = rewards == null ? Map.of() : Collections.unmodifiableMap(new HashMap<>(rewards));
  }

  /** The value of {@code reward}, or null when absent. */
  public Double reward(String reward) {
    return rewards.get(reward);
  }
}
