package ai.finerewards.jobs;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import com.typesafe.config.Config;
import java.util.List;

/** The Spark side of one stage: what it reads for a round and how it computes and commits its output. */
public interface StageJob {

  /** An input partition the stage reads, and the stage that writes it (for error messages). */
  record Input(String table, int round, String writtenBy) {}

  Stage stage();

  /** The input partitions of {@code round}; their commit markers feed the stage fingerprint. */
  List<Input> inputs(Config config, int round);

  /** Rows the stage is expected to write, from its inputs' markers; negative when unknown. */
  default long expectedRows(List<CommitMarker> inputs) {
    return -1;
  }

  /** Computes the round's output and commits it through {@link StageContext#tables()}. */
  CommitMarker run(StageContext context);
}
