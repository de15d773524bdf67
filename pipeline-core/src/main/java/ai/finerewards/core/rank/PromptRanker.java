package ai.finerewards.core.rank;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ranks the candidates of one prompt and selects the best: the pure core of the rank stage. A
 * Spark job groups the round's candidates by prompt_id and calls {@link #rank} once per group
 * (flatMapGroups); see docs/ranking.md for the formulas and the rules below in full.
 *
 * <ol>
 *   <li>Canonical order: candidates are processed by sample index, so every sum, mean and tie is
 *       computed the same way whatever the input order.
 *   <li>Exclusion: a candidate whose positive-weight reward is absent, null or NaN is excluded
 *       with {@code missing_reward:<name>}; +/-Infinity gives {@code nonfinite_reward:<name>}.
 *       The first offending reward in config order is named.
 *   <li>Per-reward fractional ranks among the valid candidates (1 = best by the reward's
 *       direction, ties share the mean rank).
 *   <li>Assembled score, higher is better: rank-sum {@code -sum_r w_r * rank_r}; zscore {@code
 *       sum_r w_r * z_r}; weighted-sum {@code sum_r w_r * s_r * x_r} (s_r = -1 when lower is
 *       better). Summed in config order.
 *   <li>Rank in prompt: by assembled score descending, ties broken by lower sample index.
 *   <li>Selection: the first {@code keep-per-prompt}, if the prompt has at least {@code
 *       min-candidates-per-prompt} valid candidates.
 * </ol>
 *
 * Stateless apart from its config; safe to share between threads and to serialize.
 */
public final class PromptRanker implements Serializable {

  private static final long serialVersionUID = 1L;

  private final RankConfig config;

  public PromptRanker(RankConfig config) {
    if (config == null) {
      throw new IllegalArgumentException("rank config must not be null");
    }
    this.config = config;
  }

  public RankConfig config() {
    return config;
  }

  /**
   * Ranks one prompt's candidates.
   *
   * @param candidates every candidate of one prompt in one round, in any order
   * @throws IllegalArgumentException if the list is empty, mixes prompt ids or repeats a sample
   *     index (each is an upstream bug that would make the selection ambiguous)
   * @throws ArithmeticException if an assembled score overflows to infinity (rewards near 1e308)
   */
  public PromptRanking rank(List<RankCandidate> candidates) {
    String promptId = checkOnePrompt(candidates);
    int n = candidates.size();
    Integer[] byIdx = new Integer[n];
    for (int i = 0; i < n; i++) {
      byIdx[i] = i;
    }
    Arrays.sort(byIdx, Comparator.comparingInt(i -> candidates.get(i).sampleIdx()));

    List<RewardSpec> rewards = config.rewards();
    int rewardCount = rewards.size();
    // oriented[r][p]: value of reward r at canonical position p, larger = better; NaN = unusable.
    double[][] oriented = new double[rewardCount][n];
    String[] reasons = new String[n];
    for (int p = 0; p < n; p++) {
      RankCandidate candidate = candidates.get(byIdx[p]);
      for (int r = 0; r < rewardCount; r++) {
        RewardSpec reward = rewards.get(r);
        Double value = candidate.reward(reward.name());
        String problem = null;
        if (value == null || value.isNaN()) {
          problem = Exclusions.missingReward(reward.name());
        } else if (value.isInfinite()) {
          problem = Exclusions.nonFiniteReward(reward.name());
        }
        oriented[r][p] = problem == null ? reward.oriented(value) : Double.NaN;
        if (problem != null && reward.counts() && reasons[p] == null) {
          reasons[p] = problem;
        }
      }
    }

    int[] valid = validPositions(reasons);
    double[][] ranks = rewardRanks(oriented, valid, n);
    double[] scores = assembledScores(oriented, ranks, valid, n, candidates, byIdx);

    // Rank in prompt: score descending, then lower sample index (canonical order is by index, and
    // the sort is stable, so comparing scores alone gives exactly that tie-break).
    Integer[] ranked = new Integer[valid.length];
    for (int k = 0; k < valid.length; k++) {
      ranked[k] = valid[k];
    }
    Arrays.sort(ranked, (a, b) -> SelectionKey.compareScoresDescending(scores[a], scores[b]));

    PromptStatus status =
        valid.length == 0
            ? PromptStatus.NO_VALID_CANDIDATE
            : valid.length < config.minCandidatesPerPrompt()
                ? PromptStatus.TOO_FEW_VALID_CANDIDATES
                : PromptStatus.OK;
    boolean finalSelection = !config.globalCutEnabled();

    List<RankedCandidate> out = new ArrayList<>(n);
    for (int k = 0; k < ranked.length; k++) {
      int p = ranked[k];
      boolean inPrompt = status == PromptStatus.OK && k < config.keepPerPrompt();
      out.add(
          new RankedCandidate(
              candidates.get(byIdx[p]),
              byIdx[p],
              ranksOf(ranks, p),
              scores[p],
              k + 1,
              inPrompt,
              inPrompt && finalSelection,
              null));
    }
    for (int p = 0; p < n; p++) {
      if (reasons[p] != null) {
        out.add(
            new RankedCandidate(
                candidates.get(byIdx[p]), byIdx[p], nullRanks(), null, null, false, false,
                reasons[p]));
      }
    }
    return new PromptRanking(promptId, status, valid.length, out);
  }

  private static String checkOnePrompt(List<RankCandidate> candidates) {
    if (candidates == null || candidates.isEmpty()) {
      throw new IllegalArgumentException("rank: a prompt group must have at least one candidate");
    }
    String promptId = candidates.get(0).promptId();
    Set<Integer> seen = new HashSet<>();
    for (RankCandidate candidate : candidates) {
      if (!candidate.promptId().equals(promptId)) {
        throw new IllegalArgumentException(
            "rank: one group mixes prompt_id '" + promptId + "' and '" + candidate.promptId()
                + "'; group candidates by (round, prompt_id)");
      }
      if (!seen.add(candidate.sampleIdx())) {
        throw new IllegalArgumentException(
            "rank: prompt_id '" + promptId + "' has sample_idx " + candidate.sampleIdx()
                + " more than once; the key (round, prompt_id, sample_idx) must be unique");
      }
    }
    return promptId;
  }

  private static int[] validPositions(String[] reasons) {
    int count = 0;
    for (String reason : reasons) {
      if (reason == null) {
        count++;
      }
    }
    int[] valid = new int[count];
    int k = 0;
    for (int p = 0; p < reasons.length; p++) {
      if (reasons[p] == null) {
        valid[k++] = p;
      }
    }
    return valid;
  }

  /** ranks[r][p]: fractional rank of position p for reward r among valid positions; NaN if none. */
  private double[][] rewardRanks(double[][] oriented, int[] valid, int n) {
    double[][] ranks = new double[oriented.length][n];
    for (int r = 0; r < oriented.length; r++) {
      Arrays.fill(ranks[r], Double.NaN);
      // A zero-weight reward may be missing on a valid candidate: rank only those that have it.
      double[] reward = oriented[r];
      int[] have = Arrays.stream(valid).filter(p -> !Double.isNaN(reward[p])).toArray();
      double[] values = new double[have.length];
      for (int k = 0; k < have.length; k++) {
        values[k] = reward[have[k]];
      }
      double[] rk = FractionalRanks.descending(values);
      for (int k = 0; k < have.length; k++) {
        ranks[r][have[k]] = rk[k];
      }
    }
    return ranks;
  }

  private double[] assembledScores(
      double[][] oriented,
      double[][] ranks,
      int[] valid,
      int n,
      List<RankCandidate> candidates,
      Integer[] byIdx) {
    double[] scores = new double[n];
    List<RewardSpec> rewards = config.rewards();
    for (int r = 0; r < rewards.size(); r++) {
      double weight = rewards.get(r).weight();
      if (weight == 0) {
        continue;
      }
      double[] component =
          switch (config.method()) {
            case RANK_SUM -> ranks[r];
            case ZSCORE -> zScores(oriented[r], valid, n);
            case WEIGHTED_SUM -> oriented[r];
          };
      double sign = config.method() == RankMethod.RANK_SUM ? -1.0 : 1.0;
      for (int p : valid) {
        scores[p] += sign * weight * component[p];
      }
    }
    for (int p : valid) {
      if (!Double.isFinite(scores[p])) {
        RankCandidate c = candidates.get(byIdx[p]);
        throw new ArithmeticException(
            "rank: assembled score of prompt_id '" + c.promptId() + "' sample_idx "
                + c.sampleIdx() + " is " + scores[p] + " (reward values too large to combine)");
      }
      scores[p] += 0.0; // -0.0 -> 0.0, so the ranked table never shows a negative zero
    }
    return scores;
  }

  /**
   * z = (x - mean) / std over the valid positions, population std (divide by n). When all values
   * are equal, z is 0: tested with min == max because a computed std of equal values can come out
   * as a tiny non-zero number and blow rounding noise up to +/-1.
   */
  private static double[] zScores(double[] values, int[] valid, int n) {
    double[] z = new double[n];
    if (valid.length == 0) {
      return z;
    }
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int p : valid) {
      min = Math.min(min, values[p]);
      max = Math.max(max, values[p]);
      sum += values[p];
    }
    if (min == max) {
      return z;
    }
    double mean = sum / valid.length;
    double squares = 0;
    for (int p : valid) {
      double d = values[p] - mean;
      squares += d * d;
    }
    double std = Math.sqrt(squares / valid.length);
    for (int p : valid) {
      z[p] = (values[p] - mean) / std;
    }
    return z;
  }

  private Map<String, Double> ranksOf(double[][] ranks, int p) {
    Map<String, Double> out = new LinkedHashMap<>();
    List<RewardSpec> rewards = config.rewards();
    for (int r = 0; r < rewards.size(); r++) {
      out.put(rewards.get(r).name(), Double.isNaN(ranks[r][p]) ? null : ranks[r][p]);
    }
    return Collections.unmodifiableMap(out);
  }

  private Map<String, Double> nullRanks() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (RewardSpec reward : config.rewards()) {
      out.put(reward.name(), null);
    }
    return Collections.unmodifiableMap(out);
  }
}
