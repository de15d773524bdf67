package ai.finerewards.core.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Held-out statistics of one checkpoint for one reward: count, mean and median of the reward over
 * the evaluation prompts' samples. The evaluate stage prints them, the report plots them. Checkpoint
 * round -1 is the base model.
 */
public record EvaluationStats(int checkpointRound, String loraCheckpointId, String reward, long n, double mean,
    double median) {

  /** One scored evaluation sample: its checkpoint and one reward's value (null = missing). */
  public record Value(int checkpointRound, String loraCheckpointId, String reward, Double value) {}

  /** "base model" or "round r (id)". */
  public String checkpointLabel() {
    return checkpointRound < 0 ? "base model" : "LoRA of round " + checkpointRound;
  }

  /**
   * Stats per (checkpoint, reward), ordered by checkpoint round then by the order rewards first appear.
   * Missing values are left out of n, mean and median.
   */
  public static List<EvaluationStats> of(List<Value> values) {
    List<String> rewardOrder = values.stream().map(Value::reward).distinct().toList();
    Map<Integer, Map<String, List<Double>>> byCheckpoint = new TreeMap<>();
    Map<Integer, String> ids = new TreeMap<>();
    for (Value v : values) {
      byCheckpoint.computeIfAbsent(v.checkpointRound(), k -> new TreeMap<>())
          .computeIfAbsent(v.reward(), k -> new ArrayList<>());
      if (v.value() != null && Double.isFinite(v.value())) {
        byCheckpoint.get(v.checkpointRound()).get(v.reward()).add(v.value());
      }
      if (v.loraCheckpointId() != null) {
        ids.put(v.checkpointRound(), v.loraCheckpointId());
      }
    }
    List<EvaluationStats> out = new ArrayList<>();
    byCheckpoint.forEach((checkpoint, rewards) -> rewards.entrySet().stream()
        .sorted(Comparator.comparingInt(e -> rewardOrder.indexOf(e.getKey())))
        .forEach(e -> {
          double[] xs = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
          out.add(new EvaluationStats(checkpoint, ids.get(checkpoint), e.getKey(), xs.length, mean(xs), median(xs)));
        }));
    return out;
  }

  static double mean(double[] sorted) {
    return sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).sum() / sorted.length;
  }

  static double median(double[] sorted) {
    int n = sorted.length;
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The console table of the evaluate stage: one line per checkpoint and reward. */
  public static String table(List<EvaluationStats> stats) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "  %-16s %-20s %-24s %6s %12s %12s%n", "checkpoint", "lora_checkpoint_id",
        "reward", "n", "mean", "median"));
    for (EvaluationStats e : stats) {
      s.append(String.format(Locale.ROOT, "  %-16s %-20s %-24s %6d %12.6f %12.6f%n", e.checkpointLabel(),
          e.loraCheckpointId() == null ? "-" : e.loraCheckpointId(), e.reward(), e.n(), e.mean(), e.median()));
    }
    return s.toString();
  }
}
