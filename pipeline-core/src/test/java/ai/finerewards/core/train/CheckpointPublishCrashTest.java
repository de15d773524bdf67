package ai.finerewards.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.CrashingFileSystem;
import ai.finerewards.core.run.RoundPartitionStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing a round's final checkpoint is killed at every mutating file-system call in turn
 * (each mkdirs, create, rename and delete, so every rename of the publish included): the reader
 * rule never returns a wrong or absent checkpoint without an error, and recovery always ends with a
 * complete checkpoint, the new one once its staged copy was complete. The crash comes from a test
 * FileSystem ({@link CrashingFileSystem}), not from a hook in the production code.
 */
class CheckpointPublishCrashTest {
  private static final LoraLayout LAYOUT = LoraLayout.of(TinyDiffusion.model().manifest());

  @Test
  void aCrashAtAnyStepOfARepublishIsRecovered(@TempDir Path tmp) throws Exception {
    int steps = 0;
    for (int crashAt = 0; ; crashAt++) {
      Path root = tmp.resolve("crash-" + crashAt);
      CheckpointStore plain = new CheckpointStore(new RoundPartitionStore(root.toString(), new Configuration()));
      String oldId = plain.publishFinal(LAYOUT, lora(0.25f), info("fp-old"));

      CheckpointStore crashing = new CheckpointStore(
          new RoundPartitionStore(CrashingFileSystem.SCHEME + "://" + root, CrashingFileSystem.configuration()));
      CrashingFileSystem.crashAt(crashAt);
      String newId = null;
      try {
        newId = crashing.publishFinal(LAYOUT, lora(0.5f), info("fp-new"));
      } catch (CrashingFileSystem.Crash expected) {
        // the process "died" here
      } finally {
        steps = Math.max(steps, CrashingFileSystem.opsDone());
        CrashingFileSystem.crashAt(-1);
      }
      if (newId != null) {
        assertThat(crashAt).as("the publish ran to the end: every step was tried").isGreaterThan(3);
        assertThat(plain.inspect(0).marker().orElseThrow().fingerprint()).isEqualTo("fp-new");
        break;
      }

      // Before recovery a reader gets the old or the new checkpoint, or a clear error; never
      // "no checkpoint" (which would silently mean the base model).
      Optional<CommitMarker> seen;
      try {
        seen = plain.requireIfTrained(0);
        assertThat(seen).as("crash at step %d", crashAt).isPresent();
        assertThat(seen.get().fingerprint()).isIn("fp-old", "fp-new");
      } catch (IllegalStateException e) {
        assertThat(e).hasMessageContaining("round 0").hasMessageContaining("finerewards train --round 0");
      }

      // What `finerewards run` does first: recovery leaves a complete checkpoint, old or new.
      RoundPartitionStore store = new RoundPartitionStore(root.toString(), new Configuration());
      store.recover(CheckpointStore.TABLE, 0);
      CommitMarker after = plain.inspect(0).marker().orElseThrow(
          () -> new AssertionError("no checkpoint after recovery of a crash at step " + CrashingFileSystem.opsDone()));
      assertThat(after.fingerprint()).isIn("fp-old", "fp-new");
      assertThat(store.hasLeftovers(CheckpointStore.TABLE, 0)).isFalse();
      float[][] values = plain.committed(0, LAYOUT).orElseThrow().lora();
      assertThat(values[0][0]).isEqualTo(after.fingerprint().equals("fp-old") ? 0.25f : 0.5f);

      // The re-run then publishes the new checkpoint as a clean run would.
      plain.publishFinal(LAYOUT, lora(0.5f), info("fp-new"));
      assertThat(plain.inspect(0).marker().orElseThrow().fingerprint()).isEqualTo("fp-new");
      assertThat(plain.committed(0, LAYOUT).orElseThrow().lora()[0][0]).isEqualTo(0.5f);
      assertThat(oldId).isNotNull();
    }
    assertThat(steps).as("mkdirs, weights, manifest, marker, 2 renames, trash delete").isGreaterThanOrEqualTo(6);
  }

  @Test
  void aDeletedOrUnmarkedCheckpointOfATrainedRoundIsAnErrorNotTheBaseModel(@TempDir Path tmp) throws Exception {
    CheckpointStore store = new CheckpointStore(new RoundPartitionStore(tmp.toString(), new Configuration()));
    assertThat(store.requireIfTrained(0)).as("train never ran: the base model is meant").isEmpty();

    store.publishFinal(LAYOUT, lora(0.25f), info("fp"));
    Path dir = tmp.resolve("checkpoints/round=0");
    Files.delete(dir.resolve(CommitMarker.FILE_NAME));
    assertThat(store.inspect(0).problem()).isEqualTo("no commit marker");
    assertThatThrownBy(() -> store.requireIfTrained(0)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no commit marker").hasMessageContaining("finerewards train --round 0");
  }

  @Test
  void weightsThatDoNotMatchTheManifestHashAreNotACheckpoint(@TempDir Path tmp) throws Exception {
    CheckpointStore store = new CheckpointStore(new RoundPartitionStore(tmp.toString(), new Configuration()));
    store.publishFinal(LAYOUT, lora(0.25f), info("fp"));
    Path weights = tmp.resolve("checkpoints/round=0/" + LoraWeightsFile.FILE);
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 1] ^= 0x01; // one flipped bit in the last float: same size
    Files.write(weights, bytes);
    assertThat(store.inspect(0).isCommitted()).isFalse();
    assertThat(store.inspect(0).problem()).contains("damaged");
    assertThat(store.committed(0, LAYOUT)).isEmpty();
    assertThatThrownBy(() -> store.requireIfTrained(0)).hasMessageContaining("damaged");
  }

  private static float[][] lora(float value) {
    List<LoraLayout.Matrix> ms = LAYOUT.matrices();
    float[][] out = new float[ms.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[ms.get(i).size()];
      java.util.Arrays.fill(out[i], value);
    }
    return out;
  }

  private static CheckpointStore.FinalInfo info(String fingerprint) {
    return new CheckpointStore.FinalInfo(0, "tiny-diffusion", null, 1, 2, List.of(0), 2, 1e-4, 7L, 0.5, fingerprint);
  }
}
