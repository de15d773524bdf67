package ai.finerewards.jobs.stages;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.report.ReportConfig;
import ai.finerewards.core.report.ReportModel;
import ai.finerewards.core.report.ReportRenderer;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.jobs.CodeVersion;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.report.ReportData;
import ai.finerewards.jobs.report.ReportPages;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The report stage: after round r, one self-contained HTML page {@code <root>/report/index.html}
 * over rounds 0..r (ReportData collects, core's ReportRenderer renders, ReportPages writes), and the
 * page's manifest committed as table {@code report} round r, whose fingerprint lets an unchanged
 * report be skipped.
 */
public final class ReportJob implements StageJob {
  /** Tables the report uses where they are committed (their markers join the fingerprint). */
  private static final List<String> OPTIONAL = List.of(Tables.CAPTIONS.name(), Tables.SEGMENTS.name(),
      Tables.LLM_SCORES.name(), Tables.TRAIN_METRICS.name(), CheckpointStore.TABLE, Tables.EVALUATIONS.name());

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.REPORT, args);
  }

  @Override
  public Stage stage() {
    return Stage.REPORT;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    List<Input> inputs = new ArrayList<>();
    for (int r = 0; r <= round; r++) {
      inputs.add(new Input(Tables.RANKED.name(), r, "rank"));
      inputs.add(new Input(Tables.SAMPLES.name(), r, "generate"));
      for (String table : OPTIONAL) {
        inputs.add(Input.optional(table, r, Stage.writerOf(table).replace("the stage that writes checkpoints", "train")));
      }
    }
    return inputs;
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    ReportConfig report = ReportConfig.from(PipelineConfigLoader.section(ctx.config(), ReportConfig.SECTION));
    RankConfig rank = RankConfig.from(ctx.config().getConfig("finerewards.rank"));
    ReportModel model = new ReportData(ctx.tables(), rank, report, ctx.round())
        .collect(CodeVersion.current(), EvaluateJob.values(ctx.tables(), ctx.round(), rank));
    byte[] html = ReportRenderer.render(model).getBytes(StandardCharsets.UTF_8);
    ReportPages pages = new ReportPages(ctx.tables().store());
    pages.write(ReportPages.INDEX, html);
    CommitMarker marker = ctx.tables().overwriteRound(pages.manifest(ctx.spark(), ctx.round()), Tables.REPORT,
        ctx.round(), "report", ctx.fingerprint());
    int images = model.galleries().stream().mapToInt(g -> g.best().size() + g.worst().size()).sum();
    ctx.out().printf("report round=%d: %s (%,d bytes; rounds 0..%d, %d charts, %d gallery images)%n", ctx.round(),
        pages.path(ReportPages.INDEX), html.length, ctx.round(), model.allCharts().size(), images);
    return marker;
  }
}
