package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train stage through the CLI on the tiny diffusion model: rank's selection in, LoRA out. */
class TrainJobTest extends SparkTestBase {
  @TempDir Path tmp;
  RoundTables tables;
  Path conf;

  @BeforeEach
  void setUp() throws Exception {
    Path model = Paths.get(System.getProperty("finerewards.repo.root", "../"))
        .toAbsolutePath().normalize().resolve("models/tiny/diffusion");
    Assumptions.assumeTrue(Files.isRegularFile(model.resolve("unet.pt")), "tiny diffusion model not exported");
    conf = RunFixtures.conf(tmp, "finerewards.models.diffusion = \"" + model + "\"\n"
        + "finerewards.train { learning-rate = 1e-3, batch-size = 2, steps-per-sample = 2, checkpoint-every = 2 }");
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
  }

  /** Samples of round 0: prompts a and b, two candidates each, 64x64 PNGs (one may be broken). */
  void samples(boolean brokenImage) throws Exception {
    samples(0, brokenImage);
  }

  void samples(int round, boolean brokenImage) throws Exception {
    List<Row> rows = new ArrayList<>();
    String[] prompts = {"a cat sitting on a red chair", "two dogs playing with a frisbee in the park"};
    for (int p = 0; p < 2; p++) {
      for (int s = 0; s < 2; s++) {
        String id = p == 0 ? "a" : "b";
        byte[] png = brokenImage && p == 1 && s == 0 ? new byte[] {1, 2, 3} : png(p * 2 + s);
        rows.add(RowFactory.create(round, id, s, prompts[p], null, 42L,
            RowFactory.create(png, id + "-" + s + ".png"), 64, 64, "tiny@000000000000", null,
            "PNDMScheduler", 10, 7.5, 0, Timestamp.from(Instant.now())));
      }
    }
    tables.overwriteRound(spark.createDataFrame(rows, SparkSchemas.toStructType(Tables.SAMPLES)),
        Tables.SAMPLES, round, "generate", "samples-fp" + round);
  }

  static byte[] png(int variant) throws Exception {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        img.setRGB(x, y, ((x * 4 + 50 * variant) & 0xff) << 16 | ((y * 4) & 0xff) << 8 | (30 * variant & 0xff));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** Rank selects sample 1 of a and sample 0 of b (best on both rewards). */
  void ranked() {
    ranked(0);
  }

  void ranked(int round) {
    RunFixtures.captions(spark, tables, round, "('a', 0, 0.1), ('a', 1, 0.9), ('b', 0, 0.8), ('b', 1, 0.2)");
    RunFixtures.llmScores(spark, tables, round, "('a', 0, 0.1), ('a', 1, 0.3), ('b', 0, 0.3), ('b', 1, 0.1)");
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), "--round", String.valueOf(round));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
  }

  @Test
  void trainsOnTheSelectedSamplesAndCommitsMetricsAndCheckpoint() throws Exception {
    samples(false);
    ranked();
    CliResult r = RunFixtures.cli(spark, "train", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).as(r.err() + r.out()).isEqualTo(0);

    // 2 selected samples x 2 steps per sample = 4 steps of batch 2.
    List<Object[]> metrics = rowsToJava(tables.read(Tables.TRAIN_METRICS, 0, "train")
        .selectExpr("step", "batch_size", "samples_seen", "loss > 0", "checkpoint_id", "round")
        .orderBy("step").collectAsList());
    assertThat(metrics).hasSize(4);
    assertThat(metrics).extracting(m -> m[0]).containsExactly(1, 2, 3, 4);
    assertThat(metrics).extracting(m -> m[2]).containsExactly(2L, 4L, 6L, 8L);
    assertThat(metrics).allSatisfy(m -> assertThat(m[3]).isEqualTo(true));
    assertThat(metrics.get(1)[4]).isEqualTo("r0-step2");
    Path ckpt = tmp.resolve("run/checkpoints/round=0");
    JsonObject doc = JsonParser.parseString(Files.readString(ckpt.resolve("checkpoint.json"))).getAsJsonObject();
    assertThat(metrics.get(3)[4]).isEqualTo(doc.get("checkpoint_id").getAsString());
    assertThat(doc.get("samples").getAsLong()).isEqualTo(2);
    assertThat(doc.get("steps").getAsInt()).isEqualTo(4);
    assertThat(doc.get("base_model_id").getAsString()).startsWith("tiny");
    assertThat(doc.get("parent_checkpoint_id").isJsonNull()).isTrue();
    assertThat(ckpt.resolve("pytorch_lora_weights.safetensors")).isRegularFile();
    assertThat(r.out()).contains("train: 4 steps on rounds [0]").contains(doc.get("checkpoint_id").getAsString());

    // Round 1 with one round of history: 4 selected samples, starting from round 0's LoRA.
    samples(1, false);
    ranked(1);
    CliResult r1 = RunFixtures.cli(spark, "train", "--conf", conf.toString(), "--round", "1",
        "--set", "train.history-rounds=1");
    assertThat(r1.exitCode()).as(r1.err() + r1.out()).isEqualTo(0);
    JsonObject doc1 = JsonParser.parseString(Files.readString(
        tmp.resolve("run/checkpoints/round=1/checkpoint.json"))).getAsJsonObject();
    assertThat(doc1.get("parent_checkpoint_id").getAsString()).isEqualTo(doc.get("checkpoint_id").getAsString());
    assertThat(doc1.get("samples").getAsLong()).isEqualTo(4);
    assertThat(doc1.get("steps").getAsInt()).isEqualTo(8);
    assertThat(r1.out()).contains("train: 8 steps on rounds [0, 1]");
    assertThat(tables.read(Tables.TRAIN_METRICS, 1, "train").count()).isEqualTo(8);
  }

  @Test
  void noSelectedRowsIsAClearError() throws Exception {
    samples(false);
    // Every candidate lacks its caption reward: rank excludes all and selects none.
    RunFixtures.captions(spark, tables, 0, "('a', 0, NULL), ('a', 1, NULL), ('b', 0, NULL), ('b', 1, NULL)");
    RunFixtures.llmScores(spark, tables, 0, "('a', 0, 0.1), ('a', 1, 0.3), ('b', 0, 0.3), ('b', 1, 0.1)");
    assertThat(RunFixtures.cli(spark, "rank", "--conf", conf.toString()).exitCode()).isEqualTo(0);
    CliResult r = RunFixtures.cli(spark, "train", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).isNotEqualTo(0);
    assertThat(r.err()).contains("table ranked has no selected rows in round(s) [0]");
    assertThat(tmp.resolve("run/checkpoints/round=0")).doesNotExist();
  }

  @Test
  void undecodableImageNamesTheSampleAndWritesNoCheckpoint() throws Exception {
    samples(true);
    ranked();
    CliResult r = RunFixtures.cli(spark, "train", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).isNotEqualTo(0);
    assertThat(r.err()).contains("round=0/prompt_id=b/sample_idx=0").contains("not a readable image");
    assertThat(tmp.resolve("run/checkpoints/round=0")).doesNotExist();
  }
}
