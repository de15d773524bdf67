package ai.finerewards.core.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parsed command line of {@code finerewards}:
 *
 * <pre>
 * finerewards &lt;stage&gt; --conf FILE [--set key=value]... [--round R]
 * finerewards run [--rounds R] [--conf FILE] [--set key=value]... [--from-stage STAGE] [--to-stage STAGE] [--force]
 * finerewards status [--rounds R] [--conf FILE] [--set key=value]...
 * finerewards --help
 * </pre>
 *
 * @param command a single stage, or empty for {@code run}
 * @param round the round of a single-stage command
 * @param rounds for {@code run}: rounds 0 .. rounds-1; empty = {@code finerewards.run.rounds}
 * @param toStage for {@code run}: the last stage of each round; empty = {@link #DEFAULT_TO_STAGE}
 * @param status {@code finerewards status}: print where each stage of each round stands
 */
public record CliArguments(
    boolean help,
    Optional<Stage> command,
    Optional<String> confFile,
    List<String> sets,
    int round,
    Optional<Integer> rounds,
    Optional<Stage> fromStage,
    Optional<Stage> toStage,
    boolean force,
    boolean status) {

  /**
   * The last stage {@code run} executes in a round unless told otherwise: every stage, so each
   * round ends with its held-out evaluation and a report over the rounds so far.
   */
  public static final Stage DEFAULT_TO_STAGE = Stage.REPORT;

  public CliArguments {
    sets = List.copyOf(sets);
  }

  public boolean isRun() {
    return !help && !status && command.isEmpty();
  }

  /** A command line that cannot be run; the message names the offending argument. */
  public static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageError(String message) {
      super(message);
    }
  }

  public static final String USAGE =
      String.join(
          "\n",
          "usage: finerewards <stage> --conf FILE [--set key=value]... [--round R]",
          "       finerewards run [--rounds R] [--conf FILE] [--set key=value]... [--from-stage STAGE]",
          "                       [--to-stage STAGE] [--force]",
          "       finerewards status [--rounds R] [--conf FILE] [--set key=value]...",
          "       finerewards doctor [--conf FILE] [--set key=value]...",
          "       finerewards --help",
          "",
          "stages: " + Stage.cliNames(),
          "",
          "  --conf FILE        HOCON file over the built-in defaults (reference.conf); any Hadoop URI",
          "  --set key=value    override one key (HOCON value); the 'finerewards.' prefix is optional",
          "  --round R          round of a single stage (default 0)",
          "  --rounds R         run rounds 0..R-1 (default: finerewards.run.rounds), every stage in order,",
          "                     resuming: a stage whose committed output has an unchanged fingerprint",
          "                     is skipped",
          "  --from-stage STAGE run: do not run the stages before STAGE; their committed outputs are used",
          "  --to-stage STAGE   run: the last stage of each round (default: report)",
          "  --force            run: run stages even when their fingerprint is unchanged",
          "status               per round and stage: committed, stale (and why), missing or blocked;",
          "                     writes nothing",
          "doctor               the libtorch, JNI and GPUs this JVM sees and each model family's device;",
          "                     exit 1 with a FAIL line when a family cannot run (docs/gpu.md)",
          "",
          "exit codes: 0 ok, 1 stage failed, 2 stage not built yet, 64 bad arguments, 78 bad configuration");

  public static CliArguments parse(String[] args) {
    if (args.length == 0) {
      throw new UsageError("missing command: expected a stage or 'run'");
    }
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        return new CliArguments(true, Optional.empty(), Optional.empty(), List.of(), 0, Optional.empty(), Optional.empty(),
            Optional.empty(), false, false);
      }
    }
    String command = args[0];
    boolean status = command.equals("status");
    boolean run = command.equals("run") || status; // status takes run's --rounds, --conf and --set
    Optional<Stage> stage = run ? Optional.empty() : Stage.fromCliName(command);
    if (!run && stage.isEmpty()) {
      throw new UsageError("unknown command '" + command + "': expected run, status or one of " + Stage.cliNames());
    }
    String conf = null;
    List<String> sets = new ArrayList<>();
    Integer round = null;
    Integer rounds = null;
    Stage from = null;
    Stage to = null;
    boolean force = false;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--conf" -> conf = value(args, ++i, a);
        case "--set" -> sets.add(checkSet(value(args, ++i, a)));
        case "--round" -> round = nonNegative(value(args, ++i, a), a);
        case "--rounds" -> rounds = positive(value(args, ++i, a), a);
        case "--from-stage" -> {
          String name = value(args, ++i, a);
          from = Stage.fromCliName(name).orElseThrow(
              () -> new UsageError("--from-stage " + name + ": expected one of " + Stage.cliNames()));
        }
        case "--to-stage" -> {
          String name = value(args, ++i, a);
          to = Stage.fromCliName(name).orElseThrow(
              () -> new UsageError("--to-stage " + name + ": expected one of " + Stage.cliNames()));
        }
        case "--force" -> force = true;
        default -> throw new UsageError("unknown argument '" + a + "'");
      }
      String onlyFor = run ? stageOnly(a) : runOnly(a);
      if (status && onlyFor == null && !a.equals("--rounds") && runOnly(a) != null) {
        onlyFor = "with 'run'";
      }
      if (onlyFor != null) {
        throw new UsageError("argument " + a + " is only valid " + onlyFor);
      }
    }
    if (from != null && to != null && from.ordinal() > to.ordinal()) {
      throw new UsageError("--from-stage " + from.cliName() + " comes after --to-stage " + to.cliName());
    }
    if (!run && conf == null) {
      throw new UsageError(command + " needs --conf FILE");
    }
    return new CliArguments(false, stage, Optional.ofNullable(conf), sets, round == null ? 0 : round,
        Optional.ofNullable(rounds), Optional.ofNullable(from), Optional.ofNullable(to), force, status);
  }

  private static String runOnly(String arg) {
    return arg.equals("--rounds") || arg.equals("--from-stage") || arg.equals("--to-stage") || arg.equals("--force")
        ? "with 'run'"
        : null;
  }

  private static String stageOnly(String arg) {
    return arg.equals("--round") ? "with a single stage (run uses --rounds)" : null;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new UsageError(flag + " needs a value");
    }
    return args[i];
  }

  private static String checkSet(String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new UsageError("--set " + kv + ": expected key=value");
    }
    return kv;
  }

  private static int nonNegative(String v, String flag) {
    int n = integer(v, flag);
    if (n < 0) {
      throw new UsageError(flag + " " + v + ": expected an integer >= 0");
    }
    return n;
  }

  private static int positive(String v, String flag) {
    int n = integer(v, flag);
    if (n < 1) {
      throw new UsageError(flag + " " + v + ": expected an integer >= 1");
    }
    return n;
  }

  private static int integer(String v, String flag) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageError(flag + " " + v + ": expected an integer");
    }
  }
}
