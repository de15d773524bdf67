package ai.finerewards.jobs;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.ConfigPaths;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.run.CliArguments;
import ai.finerewards.core.run.ExitCode;
import ai.finerewards.core.run.Stage;
import ai.finerewards.schemas.SchemaMismatchException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code finerewards} command line (see {@link CliArguments#USAGE}): one stage for one round,
 * or {@code run} over rounds with resume. Exit codes are {@link ExitCode}'s.
 */
public final class FineRewardsCli {
  private FineRewardsCli() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err, FineRewardsCli::newSession, true);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** For the per-stage mains: {@code XxxJob ARGS} is {@code finerewards xxx ARGS}. */
  public static void mainForStage(Stage stage, String[] args) {
    String[] withCommand = new String[args.length + 1];
    withCommand[0] = stage.cliName();
    System.arraycopy(args, 0, withCommand, 1, args.length);
    main(withCommand);
  }

  /**
   * Parses and runs a command line; returns the exit code. {@code sessions} gives the SparkSession
   * for the effective config; it is stopped at the end when {@code stopSession}.
   */
  public static int run(String[] args, PrintStream out, PrintStream err, Function<Config, SparkSession> sessions,
      boolean stopSession) {
    if (args.length > 0 && args[0].equals("doctor")) {
      return DoctorCommand.run(args, out, err); // the engine report needs no Spark
    }
    CliArguments cli;
    try {
      cli = CliArguments.parse(args);
    } catch (CliArguments.UsageError e) {
      err.println("finerewards: " + e.getMessage());
      err.println(CliArguments.USAGE);
      return ExitCode.USAGE.code();
    }
    if (cli.help()) {
      out.println(CliArguments.USAGE);
      return ExitCode.OK.code();
    }
    SparkSession spark = null;
    try {
      // Fail before starting Spark when the stage cannot run at all.
      cli.command().ifPresent(StageJobs::of);
      java.util.List<String> sets = new java.util.ArrayList<>(cli.sets());
      cli.rounds().ifPresent(r -> sets.add("run.rounds=" + r));
      // Relative paths mean the driver's working directory: executors run elsewhere (issue #12).
      Config config = ConfigPaths.absolutize(
          new PipelineConfigLoader().load(cli.confFile().orElse(null), sets), java.nio.file.Path.of(""));
      if (cli.isRun() || cli.status()) {
        StageRunner.runStages(config); // a bad stage list fails before Spark starts
      }
      spark = sessions.apply(config);
      StageRunner runner = new StageRunner(spark, config, out, CodeVersion.current());
      if (cli.status()) {
        RunStatus.print(runner, config, out, RunConfig.from(PipelineConfigLoader.section(config, RunConfig.SECTION)).rounds());
      } else if (cli.isRun()) {
        int rounds = RunConfig.from(PipelineConfigLoader.section(config, RunConfig.SECTION)).rounds();
        runner.runRounds(rounds, cli.fromStage(), cli.toStage().orElse(CliArguments.DEFAULT_TO_STAGE), cli.force());
      } else {
        runner.runStage(cli.command().get(), cli.round(), false);
      }
      return ExitCode.OK.code();
    } catch (StageNotBuiltException e) {
      err.println("finerewards: " + e.getMessage());
      return ExitCode.NOT_BUILT.code();
    } catch (CliArguments.UsageError e) {
      err.println("finerewards: " + e.getMessage());
      err.println(CliArguments.USAGE);
      return ExitCode.USAGE.code();
    } catch (ConfigError | ConfigException e) {
      err.println("finerewards: " + e.getMessage());
      return ExitCode.CONFIG.code();
    } catch (Exception e) { // includes Spark's undeclared checked SparkException
      err.println("finerewards: failed: " + rootMessages(e));
      if (!ownCheck(e)) {
        e.printStackTrace(err); // unexpected: the trace is for a bug report; our own checks say it all
      }
      return ExitCode.STAGE_FAILED.code();
    } finally {
      if (spark != null && stopSession) {
        spark.stop();
      }
    }
  }

  /**
   * Whether {@code e} (or, for a Spark job, the task error it wraps) is one of our own checks,
   * whose message says all: no stack trace then (a model load failure's would run to hundreds of lines).
   */
  static boolean ownCheck(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IllegalStateException || t instanceof IllegalArgumentException
          || t instanceof SchemaMismatchException || t instanceof ModelError) {
        return true;
      }
    }
    return false;
  }

  /** The message chain, innermost last: Spark wraps a task's error in several layers. */
  static String rootMessages(Throwable e) {
    StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != e && root.getMessage() != null && !s.toString().contains(root.getMessage())) {
      s.append("\n  caused by: ").append(root.getMessage());
    }
    return s.toString();
  }

  /**
   * A session for spark-submit (master and settings from spark-submit) or for the local launcher
   * (no master set: {@code finerewards.jobs.local-master} and {@code finerewards.jobs.spark-conf}).
   */
  static SparkSession newSession(Config config) {
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      conf.setMaster(config.getString("finerewards.jobs.local-master"));
    }
    for (Map.Entry<String, com.typesafe.config.ConfigValue> e : config.getConfig("finerewards.jobs.spark-conf").entrySet()) {
      String key = e.getKey().replace("\"", "");
      if (!conf.contains(key)) {
        conf.set(key, String.valueOf(e.getValue().unwrapped()));
      }
    }
    return SparkSession.builder().config(conf).appName("finerewards").getOrCreate();
  }
}
