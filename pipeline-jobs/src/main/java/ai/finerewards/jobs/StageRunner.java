package ai.finerewards.jobs;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelFiles;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.run.StageFingerprint;
import ai.finerewards.core.train.CheckpointStore;
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
    long start = System.nanoTime();
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
    out.println(runSummary(rounds, System.nanoTime() - start));
  }

  /** The run's last line: where its tables and its last LoRA are, and where the queries are explained. */
  private String runSummary(int rounds, long elapsedNanos) {
    String root = tables.store().root().toString();
    String lora = java.util.stream.IntStream.iterate(rounds - 1, r -> r >= 0, r -> r - 1).boxed()
        .filter(r -> tables.store().committed(CheckpointStore.TABLE, r).isPresent()).findFirst()
        .map(r -> "; last LoRA " + tables.store().partition(CheckpointStore.TABLE, r))
        .orElse("");
    return String.format(java.util.Locale.ROOT, "run: %d round(s) done in %.1fs; tables under %s/<table>/round=<r>/"
        + " (Parquet for Spark, DuckDB, pandas and Hugging Face datasets; recipes in docs/analysis.md)%s",
        rounds, elapsedNanos / 1e9, root, lora);
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

  /** Where a stage's committed output of one round stands against what it would compute now. */
  public enum Status {
    /** Every output committed, intact and carrying the fingerprint the stage would compute now. */
    COMMITTED,
    /** Committed output that resume recomputes: fingerprint changed, or an output damaged or missing. */
    STALE,
    /** No output at all. */
    MISSING,
    /** An input the stage needs is not committed (or a model file does not match its manifest). */
    BLOCKED
  }

  /**
   * What resume decides for one stage and round: the status, why (null when committed), the
   * fingerprint it would record now and the input markers it read.
   */
  public record Plan(Stage stage, int round, Status status, String reason, String fingerprint,
      List<CommitMarker> inputs, Optional<CommitMarker> existing) {}

  /**
   * Decides, without writing anything, whether {@code stage}'s output for {@code round} is up to
   * date: every output (the stage's table and its extra outputs, such as the checkpoint) committed
   * and intact by the rules every reader uses, and carrying the fingerprint of the inputs, config,
   * external files, models and code as they are now.
   *
   * @throws IllegalStateException naming the table and the stage to run when an input is not committed
   * @throws ai.finerewards.core.model.ModelError when a model file does not match its manifest
   */
  public Plan plan(Stage stage, int round) {
    StageJob job = StageJobs.of(stage);
    CheckpointStore checkpoints = new CheckpointStore(tables.store());
    List<CommitMarker> inputs = new ArrayList<>();
    List<StageFingerprint.Input> weights = new ArrayList<>();
    for (StageJob.Input in : job.inputs(config, round)) {
      if (in.table().equals(CheckpointStore.TABLE)) {
        // One rule for checkpoints (marker + weights hash); a trained round without one fails.
        Optional<CommitMarker> c = checkpoints.requireIfTrained(in.round());
        if (c.isEmpty() && in.required()) {
          tables.requireCommitted(in.table(), in.round(), in.writtenBy());
        }
        if (c.isPresent()) {
          inputs.add(c.get());
          weights.add(new StageFingerprint.Input("checkpoint-weights", in.round(), checkpoints.weightsSha256(in.round()), 0));
        }
      } else if (in.required()) {
        inputs.add(tables.requireCommitted(in.table(), in.round(), in.writtenBy()));
      } else {
        tables.store().committed(in.table(), in.round()).ifPresent(inputs::add);
      }
    }
    List<StageFingerprint.Input> fingerprintInputs = new ArrayList<>(inputs.stream().map(StageFingerprint.Input::of).toList());
    fingerprintInputs.addAll(weights);
    fingerprintInputs.addAll(job.externalInputs(config, round));
    fingerprintInputs.addAll(checkedModels(job));
    String fingerprint = StageFingerprint.compute(stage, round, codeVersion, config, fingerprintInputs);

    RoundPartitionStore.PartitionState main = tables.store().inspect(stage.outputTable(), round);
    if (!main.isCommitted()) {
      boolean missing = "missing".equals(main.problem());
      return new Plan(stage, round, missing ? Status.MISSING : Status.STALE,
          missing ? stage.outputTable() + " round " + round + " not written" : stage.outputTable() + ": " + main.problem(),
          fingerprint, inputs, Optional.empty());
    }
    CommitMarker existing = main.marker().get();
    if (!existing.fingerprint().equals(fingerprint)) {
      String why = existing.codeVersion().equals(codeVersion)
          ? "fingerprint changed: an input partition, config value, input file or model differs"
          : "fingerprint changed: written by code " + existing.codeVersion() + ", this is " + codeVersion;
      return new Plan(stage, round, Status.STALE, why, fingerprint, inputs, Optional.of(existing));
    }
    for (String extra : job.extraOutputs()) {
      RoundPartitionStore.PartitionState state = extra.equals(CheckpointStore.TABLE)
          ? checkpoints.inspect(round) : tables.store().inspect(extra, round);
      if (!state.isCommitted()) {
        return new Plan(stage, round, Status.STALE, extra + " round " + round + ": " + state.problem(),
            fingerprint, inputs, Optional.of(existing));
      }
      if (!state.marker().get().fingerprint().equals(fingerprint)) {
        return new Plan(stage, round, Status.STALE, extra + " round " + round + " was written by another run of the stage",
            fingerprint, inputs, Optional.of(existing));
      }
    }
    return new Plan(stage, round, Status.COMMITTED, null, fingerprint, inputs, Optional.of(existing));
  }

  /** Model files checked against their manifests on the driver, as fingerprint inputs. */
  private List<StageFingerprint.Input> checkedModels(StageJob job) {
    List<String> families = job.modelFamilies(config);
    if (families.isEmpty()) {
      return List.of();
    }
    ModelRuntime runtime = ModelRuntime.from(config);
    List<StageFingerprint.Input> out = new ArrayList<>();
    for (String family : families) {
      ModelDirectory dir = runtime.directory(family);
      ModelFiles.verify(dir);
      out.add(new StageFingerprint.Input("model:" + family, -1, ModelFiles.digest(dir), 0));
    }
    return out;
  }

  /**
   * The model cache's loads and evictions of this JVM during the stage: the executors' in local mode;
   * on a cluster the driver loads nothing and the line is left out (executors log each load and
   * eviction in one line, see docs/models.md).
   */
  private void printModelCache(Stage stage, int round, ModelCache.Stats d) {
    if (d.loads() > 0 || d.evictions() > 0 || d.releases() > 0) {
      out.println(stage.cliName() + " round=" + round + ": model cache (this JVM): " + d.loads() + " load(s), "
          + d.evictions() + " eviction(s)" + (d.releases() > 0 ? ", " + d.releases() + " released" : "")
          + (d.overBudgetLoads() > 0 ? ", " + d.overBudgetLoads() + " over budget" : ""));
    }
  }

  /** Runs one stage for one round; with {@code skipIfUnchanged}, an up-to-date output is kept. */
  public CommitMarker runStage(Stage stage, int round, boolean skipIfUnchanged) {
    StageJob job = StageJobs.of(stage);
    tables.store().recover(stage.outputTable(), round);
    for (String extra : job.extraOutputs()) {
      tables.store().recover(extra, round); // e.g. a checkpoint publish interrupted at a rename
    }
    Plan plan = plan(stage, round);
    List<CommitMarker> inputs = plan.inputs();
    String fingerprint = plan.fingerprint();
    if (skipIfUnchanged && plan.status() == Status.COMMITTED) {
      CommitMarker existing = plan.existing().get();
      out.println(stage.cliName() + " round=" + round + ": up to date, skipped (" + existing.rowCount()
          + " rows committed " + existing.committedAt() + ", fingerprint " + fingerprint.substring(0, 12) + ")");
      job.describeSkipped(new StageContext(spark, config, round, tables, fingerprint, out));
      return existing;
    }
    if (skipIfUnchanged && plan.status() == Status.STALE) {
      out.println(stage.cliName() + " round=" + round + ": recomputing (" + plan.reason() + ")");
    }
    String group = "finerewards-" + stage.cliName() + "-round-" + round;
    spark.sparkContext().setJobGroup(group, "finerewards " + stage.cliName() + " round " + round, false);
    long interval = config.getDuration("finerewards.jobs.progress-interval", TimeUnit.MILLISECONDS);
    StageProgress progress = new StageProgress(spark.sparkContext(), group, stage.cliName(), stage.outputTable(), round,
        job.expectedRows(inputs), out, interval);
    ModelCache.Stats cacheBefore = ModelCache.get().stats();
    try {
      CommitMarker marker = job.run(new StageContext(spark, config, round, tables, fingerprint, out));
      progress.finish(marker.rowCount());
      printModelCache(stage, round, ModelCache.get().stats().since(cacheBefore));
      return marker;
    } finally {
      progress.close();
      spark.sparkContext().clearJobGroup();
    }
  }
}
