package ai.finerewards.jobs.rank;

import ai.finerewards.core.rank.PromptRanker;
import ai.finerewards.core.rank.PromptRanking;
import ai.finerewards.core.rank.RankCandidate;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RankedCandidate;
import ai.finerewards.core.rank.RewardSpec;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.JavaConverters;

/**
 * The per-prompt function of the rank job: one prompt's candidate rows {@code (prompt_id,
 * sample_idx, reward...)} in, its rows of {@code ranked} out, computed by core's {@link
 * PromptRanker}. Captures only the serializable rank config, the round and the commit time.
 */
public final class RankPrompts implements FlatMapGroupsFunction<String, Row, Row> {
  private static final long serialVersionUID = 1L;

  private final PromptRanker ranker;
  private final int round;
  private final Timestamp createdAt;

  public RankPrompts(RankConfig config, int round, Timestamp createdAt) {
    this.ranker = new PromptRanker(config);
    this.round = round;
    this.createdAt = createdAt;
  }

  /** The grouping key: column 0, prompt_id. */
  public static final class PromptId implements MapFunction<Row, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String call(Row row) {
      return row.getString(0);
    }
  }

  @Override
  public Iterator<Row> call(String promptId, Iterator<Row> rows) {
    List<RewardSpec> rewards = ranker.config().rewards();
    List<RankCandidate> candidates = new ArrayList<>();
    while (rows.hasNext()) {
      Row row = rows.next();
      Map<String, Double> values = new HashMap<>();
      for (int r = 0; r < rewards.size(); r++) {
        values.put(rewards.get(r).name(), row.isNullAt(2 + r) ? null : row.getDouble(2 + r));
      }
      candidates.add(new RankCandidate(promptId, row.getInt(1), values));
    }
    PromptRanking ranking = ranker.rank(candidates);
    String assembly = ranker.config().method().name().toLowerCase(Locale.ROOT);
    List<Row> out = new ArrayList<>(ranking.candidateCount());
    for (RankedCandidate c : ranking.candidates()) {
      out.add(RowFactory.create(round, promptId, c.sampleIdx(), scalaMap(c.candidate().rewards(), rewards),
          scalaMap(c.rewardRanks(), rewards), assembly, c.assembledScore(), c.rankInPrompt(), selected(c),
          c.excludedReason(), createdAt));
    }
    return out.iterator();
  }

  /**
   * The final selection; with a global top fraction configured, "selected in prompt" instead, which
   * {@link GlobalCutPass} then narrows down.
   */
  private boolean selected(RankedCandidate c) {
    return ranker.config().globalCutEnabled() ? c.selectedInPrompt() : c.selected();
  }

  /** One entry per configured reward (null when absent), as the Scala map Spark's row encoder expects. */
  private static scala.collection.Map<String, Double> scalaMap(Map<String, Double> values, List<RewardSpec> rewards) {
    Map<String, Double> all = new HashMap<>();
    for (RewardSpec r : rewards) {
      Double v = values.get(r.name());
      all.put(r.name(), v == null || v.isNaN() ? null : v);
    }
    return JavaConverters.mapAsScalaMap(all);
  }
}
