package ai.finerewards.jobs;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.run.StageFingerprint;
import com.typesafe.config.Config;
import java.util.List;

/** The Spark side of one stage: what it reads for a round and how it computes and commits its output. */
public interface StageJob {

  /**
   * An input partition the stage reads, and the stage that writes it (for error messages). A
   * required input must be committed before the stage runs; an optional one (say, a checkpoint the
   * stage uses when there is one) joins the fingerprint only when it is committed.
   */
  record Input(String table, int round, String writtenBy, boolean required) {
    public Input(String table, int round, String writtenBy) {
      this(table, round, writtenBy, true);
    }

    public static Input optional(String table, int round, String writtenBy) {
      return new Input(table, round, writtenBy, false);
    }
  }

  Stage stage();

  /** The input partitions of {@code round}; their commit markers feed the stage fingerprint. */
  List<Input> inputs(Config config, int round);

  /**
   * What the stage reads from outside the run root's tables (say, a checkpoint directory named in
   * config), as fingerprint inputs: a change of content reruns the stage on resume.
   */
  default List<StageFingerprint.Input> externalInputs(Config config, int round) {
    return List.of();
  }

  /**
   * Tables besides {@link Stage#outputTable()} that the stage commits for its round (say, the train
   * stage's checkpoint). The stage is up to date only when every output is committed, intact and
   * carries the fingerprint.
   */
  default List<String> extraOutputs() {
    return List.of();
  }

  /**
   * Model families ({@code finerewards.models.<family>}) the stage loads: their files are checked
   * against the manifest's content hashes on the driver before any task, and the hashes join the
   * fingerprint.
   */
  default List<String> modelFamilies(Config config) {
    return List.of();
  }

  /** Rows the stage is expected to write, from its inputs' markers; negative when unknown. */
  default long expectedRows(List<CommitMarker> inputs) {
    return -1;
  }

  /**
   * Prints what a reader needs from the committed output when the stage is skipped as up to date
   * (evaluate: the held-out table); nothing by default.
   */
  default void describeSkipped(StageContext context) {}

  /** Computes the round's output and commits it through {@link StageContext#tables()}. */
  CommitMarker run(StageContext context);
}
