package ai.finerewards.jobs.stages;

import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.FineRewardsCli;

/**
 * The spark-submit main of the segment stage ({@code finerewards segment ...}). The stage is not built
 * yet: the CLI answers with one "not built yet" line and exit code 2.
 */
public final class SegmentJob {
  private SegmentJob() {}

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.SEGMENT, args);
  }
}
