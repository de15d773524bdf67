package ai.finerewards.core.run;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The stages of one RAFT round, in the order {@code finerewards run} executes them. Each stage
 * names the table it commits per round, the tables it reads by default, and the config sections
 * whose values change its output (they go into the stage fingerprint).
 */
public enum Stage {
  GENERATE("samples", List.of("prompts"), List.of("run", "prompts", "models", "generate")),
  CAPTION("captions", List.of("samples"), List.of("models", "caption")),
  SEGMENT("segments", List.of("samples"), List.of("models", "segment")),
  SCORE("llm_scores", List.of("segments"), List.of("models", "score")),
  // rank reads whichever tables jobs.rank-inputs names; which column comes from where matters too.
  RANK("ranked", List.of("captions", "llm_scores"), List.of("rank", "jobs.rank-inputs")),
  TRAIN("train_metrics", List.of("ranked"), List.of("run", "models", "train")),
  // evaluate re-runs generate and the reward stages on held-out prompts: their sections matter.
  EVALUATE("evaluations", List.of("checkpoints"),
      List.of("models", "generate", "caption", "segment", "score", "rank", "jobs.rank-inputs", "evaluate")),
  REPORT("report", List.of("ranked", "train_metrics", "evaluations"), List.of("report"));

  private final String outputTable;
  private final List<String> defaultInputTables;
  private final List<String> configSections;

  Stage(String outputTable, List<String> defaultInputTables, List<String> configSections) {
    this.outputTable = outputTable;
    this.defaultInputTables = defaultInputTables;
    this.configSections = configSections;
  }

  /** The lower-case name used on the command line and in log lines, e.g. {@code rank}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The table whose round partition this stage commits; its commit marker holds the fingerprint. */
  public String outputTable() {
    return outputTable;
  }

  public List<String> defaultInputTables() {
    return defaultInputTables;
  }

  /** Sections under {@code finerewards} that feed this stage's fingerprint. */
  public List<String> configSections() {
    return configSections;
  }

  public static Optional<Stage> fromCliName(String name) {
    return Arrays.stream(values()).filter(s -> s.cliName().equals(name)).findFirst();
  }

  /** The name of the stage that writes {@code table}, for "run stage X first" messages. */
  public static String writerOf(String table) {
    return Arrays.stream(values()).filter(s -> s.outputTable.equals(table)).findFirst()
        .map(Stage::cliName).orElse("the stage that writes " + table);
  }

  /** "generate, caption, ..." for usage and error messages. */
  public static String cliNames() {
    return Arrays.stream(values()).map(Stage::cliName).collect(Collectors.joining(", "));
  }
}
