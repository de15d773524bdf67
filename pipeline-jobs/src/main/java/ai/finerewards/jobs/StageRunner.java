package ai.finerewards.jobs;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.run.StageFingerprint;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.jobs.progress.StageProgress;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;

/**
 * Runs stages for rounds: checks inputs, computes the fingerprint, skips a stage whose committed
 * output has the same fingerprint (when resuming), and otherwise runs it under its own Spark job
 * group with a progress line.
 */
public final class StageRunner {
  static final String RUN_STAGES = "jobs.run-stages";

  private final SparkSession spark;
  private final Config config;
  private final PrintStream out;
  private final String codeVersion;
  private final RoundTables tables;

  public StageRunner(SparkSession spark, Config config, PrintStream out, String codeVersion) {
    this.spark = spark;
    this.config = config;
    this.out = out;
    this.codeVersion = codeVersion;
    String root = RunConfig.from(PipelineConfigLoader.section(config, RunConfig.SECTION)).root();
    this.tables = new RoundTables(spark, root, codeVersion);
  }

  /**
   * Every stage of {@code finerewards.jobs.run-stages} for rounds 0..rounds-1 in pipeline order, up
   * to and including {@code toStage}. Stages before
   * {@code fromStage} are not run; a stage whose committed output carries the fingerprint it would
   * compute now is skipped unless {@code force}.
   */
  public void runRounds(int rounds, Optional<Stage> fromStage, Stage toStage, boolean force) {
    Set<Stage> runStages = runStages(config);
    for (int round = 0; round < rounds; round++) {
      for (Stage stage : Stage.values()) {
        if (!runStages.contains(stage)) {
          if (stage.ordinal() <= toStage.ordinal()) {
            out.println(stage.cliName() + " round=" + round + ": not run (not in finerewards." + RUN_STAGES + ")");
          }
          continue;
        }
        if (fromStage.isPresent() && stage.ordinal() < fromStage.get().ordinal()) {
          out.println(stage.cliName() + " round=" + round + ": not run (before --from-stage " + fromStage.get().cliName() + ")");
          continue;
        }
        if (stage.ordinal() > toStage.ordinal()) {
          break;
        }
        runStage(stage, round, !force);
      }
    }
  }

  /** {@code finerewards.jobs.run-stages}: known stage names, each once. */
  static Set<Stage> runStages(Config config) {
    List<String> names;
    try {
      names = config.getStringList("finerewards." + RUN_STAGES);
    } catch (ConfigException e) {
      throw new ConfigError(RUN_STAGES, "(unreadable)", "a list of stage names (" + Stage.cliNames() + "): " + e.getMessage());
    }
    Set<Stage> stages = EnumSet.noneOf(Stage.class);
    for (String name : names) {
      Stage stage = Stage.fromCliName(name)
          .orElseThrow(() -> new ConfigError(RUN_STAGES, name, "a stage name: " + Stage.cliNames()));
      if (!stages.add(stage)) {
        throw new ConfigError(RUN_STAGES, names, "each stage once, found " + name + " twice");
      }
    }
    if (stages.isEmpty()) {
      throw new ConfigError(RUN_STAGES, "[]", "at least one stage");
    }
    return stages;
  }

  /** Runs one stage for one round; with {@code skipIfUnchanged}, an up-to-date output is kept. */
  public CommitMarker runStage(Stage stage, int round, boolean skipIfUnchanged) {
    StageJob job = StageJobs.of(stage);
    String output = stage.outputTable();
    tables.store().recover(output, round);
    List<CommitMarker> inputs = new ArrayList<>();
    for (StageJob.Input in : job.inputs(config, round)) {
      if (in.required()) {
        inputs.add(tables.requireCommitted(in.table(), in.round(), in.writtenBy()));
      } else {
        tables.store().committed(in.table(), in.round()).ifPresent(inputs::add);
      }
    }
    List<StageFingerprint.Input> fingerprintInputs = new ArrayList<>(inputs.stream().map(StageFingerprint.Input::of).toList());
    fingerprintInputs.addAll(job.externalInputs(config, round));
    String fingerprint = StageFingerprint.compute(stage, round, codeVersion, config, fingerprintInputs);
    Optional<CommitMarker> existing = tables.store().committed(output, round);
    if (skipIfUnchanged && existing.isPresent() && existing.get().fingerprint().equals(fingerprint)) {
      out.println(stage.cliName() + " round=" + round + ": up to date, skipped (" + existing.get().rowCount()
          + " rows committed " + existing.get().committedAt() + ", fingerprint " + fingerprint.substring(0, 12) + ")");
      job.describeSkipped(new StageContext(spark, config, round, tables, fingerprint, out));
      return existing.get();
    }
    String group = "finerewards-" + stage.cliName() + "-round-" + round;
    spark.sparkContext().setJobGroup(group, "finerewards " + stage.cliName() + " round " + round, false);
    long interval = config.getDuration("finerewards.jobs.progress-interval", TimeUnit.MILLISECONDS);
    StageProgress progress = new StageProgress(spark.sparkContext(), group, stage.cliName(), round,
        job.expectedRows(inputs), out, interval);
    try {
      CommitMarker marker = job.run(new StageContext(spark, config, round, tables, fingerprint, out));
      progress.finish(marker.rowCount());
      return marker;
    } finally {
      progress.close();
      spark.sparkContext().clearJobGroup();
    }
  }
}
