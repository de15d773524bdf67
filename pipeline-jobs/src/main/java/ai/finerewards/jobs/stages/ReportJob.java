package ai.finerewards.jobs.stages;

import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;

/**
 * The spark-submit main of the report stage ({@code finerewards report ...}). The stage is not built
 * yet: the CLI answers with one "not built yet" line and exit code 2.
 */
public final class ReportJob {
  private ReportJob() {}

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.REPORT, args);
  }
}
