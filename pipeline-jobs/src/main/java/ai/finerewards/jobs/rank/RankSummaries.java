package ai.finerewards.jobs.rank;

import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RankSummary;
import ai.finerewards.core.rank.RewardSpec;
import java.util.ArrayList;
import java.util.Locale;
import java.util.List;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * Core's {@link RankSummary} of a committed {@code ranked} partition, computed with aggregates over
 * the written rows (exact whatever task retries happened; a few small jobs, no rows collected).
 */
public final class RankSummaries {
  private RankSummaries() {}

  public static RankSummary of(Dataset<Row> ranked, RankConfig rank) {
    Dataset<Row> perPrompt = ranked.groupBy("prompt_id").agg(
        functions.count(functions.lit(1)).as("n"),
        functions.count("assembled_score").as("valid"),
        functions.sum(functions.col("selected").cast("long")).as("sel"))
        .persist(StorageLevel.MEMORY_AND_DISK()); // one row per prompt, read by the three queries below
    try {
      return summarise(ranked, perPrompt, rank.minCandidatesPerPrompt());
    } finally {
      perPrompt.unpersist();
    }
  }

  /**
   * One line per configured reward: its mean over the candidates that have it and over the selected
   * ones. The first is the round's mean reward of fresh samples (what the loop should raise round
   * over round); the gap to the second is what the selection gains.
   */
  public static String rewardMeans(Dataset<Row> ranked, RankConfig rank) {
    List<Column> aggs = new ArrayList<>();
    for (RewardSpec reward : rank.rewards()) {
      Column value = functions.col("rewards").getItem(reward.name());
      aggs.add(functions.avg(value));
      aggs.add(functions.count(value));
      aggs.add(functions.avg(functions.when(functions.col("selected"), value)));
      aggs.add(functions.count(functions.when(functions.col("selected"), value)));
    }
    Row r = ranked.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0])).first();
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < rank.rewards().size(); i++) {
      int at = 4 * i;
      s.append(String.format(Locale.ROOT, "rank:   reward %s: mean %s over %d candidates, %s over %d selected%n",
          rank.rewards().get(i).name(), mean(r, at), r.getLong(at + 1), mean(r, at + 2), r.getLong(at + 3)));
    }
    return s.toString();
  }

  private static String mean(Row r, int i) {
    return r.isNullAt(i) ? "-" : String.format(Locale.ROOT, "%.6f", r.getDouble(i));
  }

  private static RankSummary summarise(Dataset<Row> ranked, Dataset<Row> perPrompt, int min) {
    Row totals = perPrompt.agg(
        functions.count(functions.lit(1)),
        functions.coalesce(functions.sum("n"), functions.lit(0L)),
        functions.coalesce(functions.sum("valid"), functions.lit(0L)),
        functions.count(functions.when(functions.col("valid").equalTo(0), 1)),
        functions.count(functions.when(functions.col("valid").gt(0).and(functions.col("valid").lt(min)), 1)),
        functions.coalesce(functions.sum("sel"), functions.lit(0L))).first();
    TreeMap<String, Long> reasons = new TreeMap<>();
    for (Row r : ranked.filter(functions.col("excluded_reason").isNotNull())
        .groupBy("excluded_reason").count().collectAsList()) {
      reasons.put(r.getString(0), r.getLong(1));
    }
    List<String> noValid = examples(perPrompt.filter(functions.col("valid").equalTo(0)));
    List<String> tooFew = examples(perPrompt.filter(functions.col("valid").gt(0).and(functions.col("valid").lt(min))));
    long selected = totals.getLong(5);
    // selected-in-prompt is not a column of ranked: with a global cut it is reported as selected.
    return new RankSummary(totals.getLong(0), totals.getLong(1), totals.getLong(2), reasons, totals.getLong(3),
        noValid, totals.getLong(4), tooFew, selected, selected);
  }

  private static List<String> examples(Dataset<Row> prompts) {
    return prompts.select("prompt_id").orderBy("prompt_id").limit(RankSummary.EXAMPLES)
        .collectAsList().stream().map(r -> r.getString(0)).toList();
  }
}
