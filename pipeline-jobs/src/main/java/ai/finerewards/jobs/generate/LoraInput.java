package ai.finerewards.jobs.generate;

import ai.finerewards.core.diffusion.DiffusionModelConfig;
import ai.finerewards.core.diffusion.LoraCheckpoint;
import ai.finerewards.core.diffusion.LoraSource;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.core.train.CheckpointStore;
import java.nio.file.Paths;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Which LoRA checkpoint a round generates with: round r > 0 uses the train stage's output of round
 * r-1, {@code <root>/checkpoints/round=<r-1>/}, when it exists by {@link CheckpointStore#inspect}
 * (committed, intact, weights hash equal to checkpoint.json's); the base model when the train stage
 * never ran for round r-1 (or for round 0); and fails when train ran but its checkpoint is missing or
 * damaged. {@code finerewards.generate.lora} may name
 * a fixed checkpoint directory or the base model instead. Read and checked on the driver, so a bad file
 * fails before any task.
 */
public final class LoraInput {
  private LoraInput() {}

  /** The checkpoint {@code finerewards.generate.lora} selects for {@code round}, if any. */
  public static Optional<LoraCheckpoint> resolve(RoundPartitionStore store, int round, DiffusionModelConfig model,
      LoraSource source) {
    return switch (source.kind()) {
      case NONE -> Optional.empty();
      case DIRECTORY -> Optional.of(LoraCheckpoint.read(source.directory().orElseThrow(), model));
      case PREVIOUS_ROUND -> forRound(store, round, model);
    };
  }

  public static Optional<LoraCheckpoint> forRound(RoundPartitionStore store, int round, DiffusionModelConfig model) {
    if (round == 0) {
      return Optional.empty();
    }
    // The same rule as the train stage and the resume check: committed, intact, weights hash equal.
    CheckpointStore checkpoints = new CheckpointStore(store);
    if (checkpoints.requireIfTrained(round - 1).isEmpty()) {
      return Optional.empty();
    }
    Path dir = checkpoints.finalDir(round - 1);
    FileSystem fs = store.fileSystem();
    if (!(fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem)) {
      throw new IllegalArgumentException("LoRA checkpoint " + dir + " is on " + fs.getUri()
          + ": the generate stage reads checkpoints from a local (file:) run root only for now");
    }
    return Optional.of(LoraCheckpoint.read(Paths.get(fs.makeQualified(dir).toUri()), model));
  }
}
