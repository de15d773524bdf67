package ai.finerewards.core.train;

import ai.finerewards.core.clip.ClipTextTokenizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.run.RoundPartitionStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round of training on the tiny model end to end: step budget, checkpoints, the final
 * diffusers-layout file and manifest, and resume after an interruption.
 */
class TrainingRunTest {
  private static ModelDirectory md;
  private static final TrainConfig CONFIG = TrainConfig.from(ConfigFactory.parseString(
      "learning-rate = 1e-3, batch-size = 2, steps-per-sample = 2, checkpoint-every = 2, seed = 7")
      .withFallback(ConfigFactory.defaultReference().getConfig("finerewards.train")));

  @BeforeAll
  static void model() {
    md = TinyDiffusion.model();
  }

  private static final class Interrupt extends RuntimeException {
    Interrupt() {
      super("simulated kill");
    }
  }

  private static TrainingRun.Outcome train(Path root, ExampleSet examples, int killAfter) {
    CheckpointStore store = new CheckpointStore(new RoundPartitionStore(root.toString(), new Configuration()));
    try (LoraTrainer trainer = LoraTrainer.open(md, Device.cpu(), CONFIG.optimizer(),
            new SeededNoise(CONFIG.roundSeed(0)));
        ClipTextTokenizer tok = ClipTextTokenizer.forDiffusion(md)) {
      return new TrainingRun(CONFIG, store).run(
          new TrainingRun.Start(0, "tiny-diffusion", null, null), trainer, tok, 64, 64, examples,
          m -> {
            if (m.step() == killAfter) {
              throw new Interrupt();
            }
          });
    }
  }

  @Test
  void tokenizerGivesTheGoldenIds() {
    Safetensors g = Safetensors.read(md.localPath().resolve("golden/lora_train.safetensors"));
    try (ClipTextTokenizer tok = ClipTextTokenizer.forDiffusion(md)) {
      assertThat(tok.batchIds(TrainExamples.PROMPTS.subList(0, 2)))
          .containsExactly(g.tensor("input_ids").longs());
    }
  }

  @Test
  void resumedRunReachesTheSameLoraAsAnUninterruptedOne(@TempDir Path tmp) throws IOException {
    ExampleSet examples = TrainExamples.of(3, 64);
    assertThat(CONFIG.stepBudget(examples.size())).isEqualTo(6);

    TrainingRun.Outcome straight = train(tmp.resolve("a"), examples, -1);
    assertThat(straight.resumed()).isFalse();
    assertThat(straight.metrics()).extracting(StepMetrics::step).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(straight.metrics()).allSatisfy(m -> {
      assertThat(m.loss()).isFinite().isPositive();
      assertThat(m.batchSize()).isEqualTo(2);
    });
    assertThat(straight.metrics().get(3).checkpointId()).isEqualTo("r0-step4");
    assertThat(straight.metrics().get(5).checkpointId()).isEqualTo(straight.checkpointId())
        .startsWith("r0-");

    // Killed after step 5: the step-4 checkpoint is the newest; the rerun resumes there.
    Path b = tmp.resolve("b");
    assertThatThrownBy(() -> train(b, examples, 5)).isInstanceOf(Interrupt.class);
    assertThat(Files.exists(b.resolve("checkpoints/round=0"))).isFalse();
    assertThat(b.resolve("checkpoints/_progress/round=0/step-000000004")).isDirectory();
    TrainingRun.Outcome resumed = train(b, examples, -1);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.metrics()).extracting(StepMetrics::step).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(resumed.metrics()).extracting(StepMetrics::loss)
        .containsExactlyElementsOf(straight.metrics().stream().map(StepMetrics::loss).toList());
    // Same weights bit for bit, hence the same content hash and checkpoint id.
    assertThat(resumed.checkpointId()).isEqualTo(straight.checkpointId());
    assertThat(Files.readAllBytes(b.resolve("checkpoints/round=0/pytorch_lora_weights.safetensors")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("a/checkpoints/round=0/pytorch_lora_weights.safetensors")));
    assertThat(b.resolve("checkpoints/_progress/round=0")).doesNotExist();

    checkFinalCheckpoint(tmp.resolve("a/checkpoints/round=0"), straight);
  }

  private static void checkFinalCheckpoint(Path dir, TrainingRun.Outcome outcome) throws IOException {
    LoraLayout layout = LoraLayout.of(md.manifest());
    Path weights = dir.resolve(LoraWeightsFile.FILE);
    byte[] bytes = Files.readAllBytes(weights);
    long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertThat(headerLen % 8).as("header padded to 8 bytes").isZero();
    Safetensors st = Safetensors.read(weights);
    List<String> keys = new ArrayList<>(st.entries().keySet());
    assertThat(keys).containsExactlyInAnyOrderElementsOf(
        layout.matrices().stream().map(LoraLayout.Matrix::diffusersKey).toList());
    assertThat(keys).isSorted();
    assertThat(keys).allMatch(k -> k.startsWith("unet.") && k.matches(".*\\.lora_[AB]\\.weight"));
    assertThat(st.metadata()).containsEntry("format", "pt");
    // B moved away from zero: the file holds trained weights.
    float[][] values = LoraWeightsFile.decode(layout, st);
    double maxB = 0;
    for (int i = 0; i < values.length; i++) {
      if (layout.matrices().get(i).diffusersKey().contains("lora_B")) {
        for (float v : values[i]) {
          maxB = Math.max(maxB, Math.abs(v));
        }
      }
    }
    assertThat(maxB).isGreaterThan(1e-4);

    JsonObject doc = JsonParser.parseString(Files.readString(dir.resolve("checkpoint.json")))
        .getAsJsonObject();
    assertThat(doc.get("checkpoint_id").getAsString()).isEqualTo(outcome.checkpointId());
    assertThat(doc.get("steps").getAsInt()).isEqualTo(6);
    assertThat(doc.get("samples").getAsLong()).isEqualTo(3);
    assertThat(doc.get("data_rounds").toString()).isEqualTo("[0]");
    assertThat(doc.get("base_model_id").getAsString()).isEqualTo("tiny-diffusion");
    assertThat(doc.get("lora_rank").getAsInt()).isEqualTo(layout.rank());
    assertThat(doc.get("weights_sha256").getAsString())
        .isEqualTo(CheckpointStore.sha256(bytes)).startsWith(outcome.checkpointId().substring(3));
    assertThat(doc.get("final_loss").getAsDouble())
        .isEqualTo(outcome.metrics().get(5).loss());
    assertThat(dir.resolve("_FINEREWARDS_COMMIT")).exists();

    // Fixture for exporter/tests/test_java_lora.py (diffusers loads the Java-written file).
    String fixture = System.getProperty("finerewards.write.lora.fixture");
    if (fixture != null) {
      Path out = Paths.get(fixture);
      Files.createDirectories(out.getParent());
      Files.write(out, bytes);
    }
  }

  @Test
  void undecodableImageNamesTheSample(@TempDir Path tmp) {
    ExampleSet good = TrainExamples.of(2, 64);
    ExampleSet bad = new ExampleSet() {
      @Override
      public int size() {
        return 2;
      }

      @Override
      public TrainExample get(int index) {
        TrainExample e = good.get(index);
        return index == 1 ? new TrainExample(e.id(), e.prompt(), "not a png".getBytes(StandardCharsets.UTF_8)) : e;
      }
    };
    assertThatThrownBy(() -> train(tmp, bad, -1))
        .hasMessageContaining("round=0/prompt_id=p1/sample_idx=0")
        .hasMessageContaining("not a readable image");
    assertThat(tmp.resolve("checkpoints/round=0")).doesNotExist();
  }
}
