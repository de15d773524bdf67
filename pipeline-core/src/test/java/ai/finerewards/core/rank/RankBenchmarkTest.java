package ai.finerewards.core.rank;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * In-process throughput of the rank core: 100,000 prompts x 10 candidates = 1,000,000 rows per
 * method, as a Spark flatMapGroups would feed it (one prompt group at a time), plus the in-memory
 * global cut. Prints figures; it is not a timed assertion. Run with
 * {@code mvn -o -q -pl pipeline-core -am test -Pbench -Dtest=RankBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class RankBenchmarkTest {

  private static final int PROMPTS = 100_000;
  private static final int SAMPLES = 10;

  @Test
  void rankOneMillionCandidates() {
    for (RankMethod method : RankMethod.values()) {
      run(method, false); // warm-up: JIT, class loading
      run(method, true);
    }
  }

  private static void run(RankMethod method, boolean print) {
    RankConfig config =
        new RankConfig(
            method,
            List.of(new RewardSpec("caption_reward", 1.0, true), new RewardSpec("sam_reward", 1.0, true)),
            1,
            1,
            0.5);
    PromptRanker ranker = new PromptRanker(config);
    SplittableRandom random = new SplittableRandom(42);
    System.gc();
    resetPeaks();
    long rankNanos = 0;
    long start = System.nanoTime();
    RankSummary.Builder summary = new RankSummary.Builder();
    List<SelectionKey> selected = new ArrayList<>(PROMPTS);
    for (int p = 0; p < PROMPTS; p++) {
      List<RankCandidate> group = group(random, "prompt-" + p);
      long t0 = System.nanoTime();
      PromptRanking ranking = ranker.rank(group);
      rankNanos += System.nanoTime() - t0;
      summary.add(ranking);
      for (RankedCandidate c : ranking.candidates()) {
        if (c.selectedInPrompt()) {
          selected.add(c.selectionKey());
        }
      }
    }
    long cutStart = System.nanoTime();
    GlobalCut cut = GlobalTopFraction.cut(selected, config.globalTopFraction());
    long kept = selected.stream().filter(cut::keeps).count();
    long cutNanos = System.nanoTime() - cutStart;
    long totalNanos = System.nanoTime() - start;
    RankSummary result = summary.build();

    assertThat(result.candidates()).isEqualTo((long) PROMPTS * SAMPLES);
    assertThat(result.selectedInPrompt()).isEqualTo(PROMPTS - result.promptsWithNoValidCandidate());
    assertThat(kept).isEqualTo(GlobalTopFraction.keepCount(selected.size(), 0.5));
    if (print) {
      double rows = (double) PROMPTS * SAMPLES;
      System.out.printf(
          "rank benchmark %-12s %,d rows: rank only %,.0f rows/s (%.2f s), end to end incl. input"
              + " generation, summary and global cut %,.0f rows/s (%.2f s; cut %.3f s); peak heap"
              + " %,d MiB; %d cores; %s%n",
          method.configName(),
          (long) rows,
          rows / (rankNanos / 1e9),
          rankNanos / 1e9,
          rows / (totalNanos / 1e9),
          totalNanos / 1e9,
          cutNanos / 1e9,
          peakHeapBytes() / (1024 * 1024),
          Runtime.getRuntime().availableProcessors(),
          result.withSelected(kept).describe().lines().findFirst().orElse(""));
    }
  }

  /** 10 candidates; coarse values give ties, and about 1 in 200 rewards is NaN or null. */
  private static List<RankCandidate> group(SplittableRandom random, String promptId) {
    List<RankCandidate> group = new ArrayList<>(SAMPLES);
    for (int s = 0; s < SAMPLES; s++) {
      Map<String, Double> rewards = new HashMap<>(4);
      rewards.put("caption_reward", Math.round(random.nextDouble() * 1000) / 1000.0);
      int r = random.nextInt(200);
      Double sam = r == 0 ? Double.valueOf(Double.NaN) : Double.valueOf((random.nextInt(9) - 4) / 8.0);
      rewards.put("sam_reward", r == 1 ? null : sam);
      group.add(new RankCandidate(promptId, s, rewards));
    }
    return group;
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  // Sum of the heap pools' peaks: an upper bound of the peak heap in use (pools peak at
  // different moments).
  private static long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
