package ai.finerewards.jobs;

import ai.finerewards.core.run.Stage;
import com.typesafe.config.Config;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * {@code finerewards status}: {@link StageRunner#plan} for every round and stage, one line each,
 * with stages downstream of one that {@code run} would recompute marked as such.
 */
final class RunStatus {
  private RunStatus() {}

  /**
   * {@code finerewards status}: for rounds 0..rounds-1 and every stage of
   * {@code finerewards.jobs.run-stages}, one line: committed, stale (and why), missing, or blocked
   * (an input is not committed, or a model file does not match its manifest). Writes nothing (no
   * recovery either: an interrupted write shows as stale or missing until the next {@code run}).
   * Returns how many stages {@code run} would run.
   */
  static int print(StageRunner runner, Config config, PrintStream out, int rounds) {
    Set<Stage> runStages = StageRunner.runStages(config);
    // Outputs that run would recompute: a stage reading one of them is recomputed too.
    Set<String> pending = new HashSet<>();
    int toRun = 0;
    for (int round = 0; round < rounds; round++) {
      for (Stage stage : Stage.values()) {
        if (!runStages.contains(stage)) {
          continue;
        }
        StageJob job;
        try {
          job = StageJobs.of(stage);
        } catch (StageNotBuiltException e) {
          out.println("round " + round + " " + stage.cliName() + ": not built yet");
          continue;
        }
        Optional<String> pendingInput = job.inputs(config, round).stream()
            .map(in -> in.table() + " round " + in.round()).filter(pending::contains).findFirst();
        String line;
        StageRunner.Status status;
        try {
          StageRunner.Plan plan = runner.plan(stage, round);
          status = plan.status();
          if (status == StageRunner.Status.COMMITTED && pendingInput.isPresent()) {
            status = StageRunner.Status.STALE;
            line = "stale (its input " + pendingInput.get() + " is recomputed first)";
          } else {
            line = switch (status) {
              case COMMITTED -> "committed (" + plan.existing().get().rowCount() + " rows, "
                  + plan.existing().get().committedAt() + ", fingerprint " + plan.fingerprint().substring(0, 12) + ")";
              case STALE -> "stale (" + plan.reason() + ")";
              case MISSING -> "missing";
              case BLOCKED -> "blocked (" + plan.reason() + ")";
            };
          }
        } catch (RuntimeException e) {
          if (pendingInput.isPresent()) {
            status = StageRunner.Status.MISSING;
            line = "missing (its input " + pendingInput.get() + " is computed first)";
          } else {
            status = StageRunner.Status.BLOCKED;
            line = "blocked (" + e.getMessage() + ")";
          }
        }
        if (status != StageRunner.Status.COMMITTED) {
          toRun++;
          pending.add(stage.outputTable() + " round " + round);
          for (String extra : job.extraOutputs()) {
            pending.add(extra + " round " + round);
          }
        }
        out.println("round " + round + " " + stage.cliName() + ": " + line);
      }
    }
    return toRun;
  }

}
