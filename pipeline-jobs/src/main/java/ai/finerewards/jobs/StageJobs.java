package ai.finerewards.jobs;

import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.stages.CaptionJob;
import ai.finerewards.jobs.stages.EvaluateJob;
import ai.finerewards.jobs.stages.GenerateJob;
import ai.finerewards.jobs.stages.RankJob;
import ai.finerewards.jobs.stages.ReportJob;
import ai.finerewards.jobs.stages.ScoreJob;
import ai.finerewards.jobs.stages.SegmentJob;
import ai.finerewards.jobs.stages.TrainJob;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/** The stages that have a job. A model stage is added here when its issue lands. */
public final class StageJobs {
  private static final Map<Stage, StageJob> BUILT = new EnumMap<>(Stage.class);

  static {
    BUILT.put(Stage.GENERATE, new GenerateJob());
    BUILT.put(Stage.CAPTION, new CaptionJob());
    BUILT.put(Stage.SEGMENT, new SegmentJob());
    BUILT.put(Stage.SCORE, new ScoreJob());
    BUILT.put(Stage.RANK, new RankJob());
    BUILT.put(Stage.TRAIN, new TrainJob());
    BUILT.put(Stage.EVALUATE, new EvaluateJob());
    BUILT.put(Stage.REPORT, new ReportJob());
  }

  private StageJobs() {}

  /** The job of {@code stage}, or {@link StageNotBuiltException}. */
  public static StageJob of(Stage stage) {
    StageJob job = BUILT.get(stage);
    if (job == null) {
      throw new StageNotBuiltException(stage, available());
    }
    return job;
  }

  public static String available() {
    return BUILT.keySet().stream().map(Stage::cliName).collect(Collectors.joining(", "));
  }
}
