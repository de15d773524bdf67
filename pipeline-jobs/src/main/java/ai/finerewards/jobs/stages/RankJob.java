package ai.finerewards.jobs.stages;

import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.rank.GlobalCutPass;
import ai.finerewards.jobs.rank.RankCandidates;
import ai.finerewards.jobs.rank.RankInputs;
import ai.finerewards.jobs.rank.RankPrompts;
import ai.finerewards.jobs.rank.RankSummaries;
import ai.finerewards.jobs.rank.RankedRows;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The rank stage: joins the round's reward tables on (prompt_id, sample_idx), ranks each prompt's
 * candidates with core's PromptRanker (one flatMapGroups), commits {@code ranked} and prints a summary.
 */
public final class RankJob implements StageJob {

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.RANK, args);
  }

  @Override
  public Stage stage() {
    return Stage.RANK;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    RankInputs inputs = RankInputs.from(config, rankConfig(config));
    return inputs.sources().stream().map(s -> new Input(s.table(), round, Stage.writerOf(s.table()))).toList();
  }

  @Override
  public long expectedRows(List<CommitMarker> inputs) {
    // Every candidate is written once; the largest input is the best estimate of their number.
    return inputs.stream().mapToLong(CommitMarker::rowCount).max().orElse(-1);
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    RankConfig rank = rankConfig(ctx.config());
    RankInputs inputs = RankInputs.from(ctx.config(), rank);
    Dataset<Row> candidates = RankCandidates.read(ctx.tables(), inputs, rank, ctx.round());
    Timestamp createdAt = Timestamp.from(Instant.now());
    Dataset<Row> ranked = candidates
        .groupByKey(new RankPrompts.PromptId(), Encoders.STRING())
        .flatMapGroups(new RankPrompts(rank, ctx.round(), createdAt), RankedRows.ENCODER);
    CommitMarker marker;
    if (rank.globalCutEnabled()) {
      try (GlobalCutPass cut = GlobalCutPass.over(ranked, rank.globalTopFraction())) {
        marker = ctx.tables().overwriteRound(cut.result(), Tables.RANKED, ctx.round(), "rank", ctx.fingerprint());
      }
    } else {
      marker = ctx.tables().overwriteRound(ranked, Tables.RANKED, ctx.round(), "rank", ctx.fingerprint());
    }
    Dataset<Row> written = ctx.tables().read(Tables.RANKED, ctx.round(), "rank");
    ctx.out().print(RankSummaries.of(written, rank).describe());
    ctx.out().print(RankSummaries.rewardMeans(written, rank));
    return marker;
  }

  private static RankConfig rankConfig(Config config) {
    return RankConfig.from(config.getConfig("finerewards.rank"));
  }
}
