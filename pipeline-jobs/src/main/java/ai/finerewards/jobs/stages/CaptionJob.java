package ai.finerewards.jobs.stages;

import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;

/**
 * The spark-submit main of the caption stage ({@code finerewards caption ...}). The stage is not built
 * yet: the CLI answers with one "not built yet" line and exit code 2.
 */
public final class CaptionJob {
  private CaptionJob() {}

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.CAPTION, args);
  }
}
