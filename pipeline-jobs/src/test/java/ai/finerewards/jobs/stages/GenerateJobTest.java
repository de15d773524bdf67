package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.core.seed.SampleSeeds;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.KillAfterFirstBatch;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generate stage end to end on the tiny model: prompts to samples with lineage and seeds, the same
 * PNG bytes from two runs and from a run whose task is killed after its first batch and retried, a
 * LoRA checkpoint picked up in round 1, and bad settings rejected before any work. Own session:
 * local[2, 2] lets a failed task be retried once (SparkTestBase's session retries none).
 */
class GenerateJobTest {
  private static final long BASE_SEED = 20240101L;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2,2]").appName("generate-test")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2").config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static Path tinyModel() {
    return Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize()
        .resolve("models/tiny/diffusion");
  }

  private static Path conf(Path dir, String extra) throws Exception {
    Path prompts = dir.resolve("prompts.txt");
    Files.writeString(prompts, "a cat sitting on a red chair\ntwo dogs playing with a frisbee in the park\n"
        + "a very long prompt " + "about a red bicycle ".repeat(30) + "\n", StandardCharsets.UTF_8);
    return RunFixtures.conf(dir, "finerewards.prompts.path = \"" + prompts + "\"\n"
        + "finerewards.run.base-seed = " + BASE_SEED + "\n"
        + "finerewards.models.diffusion = \"" + tinyModel() + "\"\n"
        + "finerewards.generate { height = 64, width = 64, steps = 3, samples-per-prompt = 3, batch-size = 4,"
        + " scheduler = ddim }\n" + extra);
  }

  private static Map<String, byte[]> pngs(Path dir, int round) {
    Map<String, byte[]> out = new TreeMap<>();
    for (Row r : spark.read().parquet(dir.resolve("run/samples/round=" + round).toString()).collectAsList()) {
      out.put(r.getString(r.fieldIndex("prompt_id")) + "/" + r.getInt(r.fieldIndex("sample_idx")),
          r.getStruct(r.fieldIndex("image")).getAs("bytes"));
    }
    return out;
  }

  @Test
  void writesNSamplesPerPromptWithLineageSeedsAndDecodablePngs(@TempDir Path tmp) throws Exception {
    CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf(tmp, "").toString(), "--round", "0");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("generate round=0: 9 images").contains("1 prompt(s) truncated");
    List<Row> rows = spark.read().parquet(tmp.resolve("run/samples/round=0").toString()).collectAsList();
    assertThat(rows).hasSize(9);
    for (Row row : rows) {
      String pid = row.getString(row.fieldIndex("prompt_id"));
      int idx = row.getInt(row.fieldIndex("sample_idx"));
      assertThat(row.getLong(row.fieldIndex("seed"))).isEqualTo(SampleSeeds.seed(BASE_SEED, 0, pid, idx));
      assertThat(row.getString(row.fieldIndex("scheduler"))).isEqualTo("DDIMScheduler");
      assertThat(row.getInt(row.fieldIndex("steps"))).isEqualTo(3);
      assertThat(row.getDouble(row.fieldIndex("guidance_scale"))).isEqualTo(7.5);
      assertThat(row.isNullAt(row.fieldIndex("lora_checkpoint_id"))).isTrue();
      assertThat(row.isNullAt(row.fieldIndex("negative_prompt"))).isTrue();
      assertThat(row.getString(row.fieldIndex("model_id"))).startsWith("tiny").contains("@");
      Row image = row.getStruct(row.fieldIndex("image"));
      assertThat(image.getString(1)).isEqualTo(pid + "-" + idx + ".png");
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(image.getAs("bytes")));
      assertThat(img.getWidth()).isEqualTo(64);
      assertThat(img.getHeight()).isEqualTo(64);
      boolean longPrompt = row.getString(row.fieldIndex("prompt")).startsWith("a very long");
      assertThat(row.getInt(row.fieldIndex("truncated_tokens")) > 0).isEqualTo(longPrompt);
    }
    // Different seeds give different images.
    assertThat(pngs(tmp, 0).values().stream().map(java.util.Arrays::hashCode).distinct().count()).isEqualTo(9);
  }

  @Test
  void twoRunsAndARetriedTaskWriteByteIdenticalPngs(@TempDir Path tmp) throws Exception {
    Path a = Files.createDirectories(tmp.resolve("a"));
    Path b = Files.createDirectories(tmp.resolve("b"));
    Path c = Files.createDirectories(tmp.resolve("c"));
    // One sample per batch in all three runs (batching moves pixels by a rounding step, so the runs
    // must batch alike): each task has several batches, so the kill lands in the middle of one.
    String oneByOne = "finerewards.generate.batch-size = 1\n";
    assertThat(RunFixtures.cli(spark, "generate", "--conf", conf(a, oneByOne).toString()).exitCode()).isZero();
    assertThat(RunFixtures.cli(spark, "generate", "--conf", conf(b, oneByOne).toString()).exitCode()).isZero();
    try (KillAfterFirstBatch killer = new KillAfterFirstBatch(spark.sparkContext())) {
      CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf(c, oneByOne).toString());
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      assertThat(killer.killedMidPartition()).as("a task was killed after its first batch and retried").isTrue();
    }
    Map<String, byte[]> first = pngs(a, 0);
    assertThat(first).hasSize(9);
    assertThat(pngs(b, 0)).containsOnlyKeys(first.keySet());
    assertThat(pngs(c, 0)).containsOnlyKeys(first.keySet());
    for (String key : first.keySet()) {
      assertThat(pngs(b, 0).get(key)).as("second run, %s", key).isEqualTo(first.get(key));
      assertThat(pngs(c, 0).get(key)).as("retried run, %s", key).isEqualTo(first.get(key));
    }
  }

  @Test
  void roundOneUsesThePreviousRoundsLoraCheckpoint(@TempDir Path tmp) throws Exception {
    Path ckpt = Files.createDirectories(tmp.resolve("run/checkpoints/round=0"));
    Path weights = tinyModel().resolve("golden/lora_nonzero.safetensors");
    Files.copy(weights, ckpt.resolve("pytorch_lora_weights.safetensors"));
    String sha = java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(weights)));
    Files.writeString(ckpt.resolve("checkpoint.json"), "{\"checkpoint_id\": \"r0-abcdef012345\", \"weights_file\":"
        + " \"pytorch_lora_weights.safetensors\", \"weights_sha256\": \"" + sha + "\"}");
    // Not committed (no marker): refused, where it used to be read as it was.
    CliResult unmarked = RunFixtures.cli(spark, "generate", "--conf", conf(tmp, "").toString(), "--round", "1");
    assertThat(unmarked.exitCode()).isEqualTo(1);
    assertThat(unmarked.err()).contains("no commit marker").contains("finerewards train --round 0");
    // Committed with the table protocol, as the train stage does.
    RoundPartitionStore store = new RoundPartitionStore(tmp.resolve("run").toUri().toString(), new Configuration());
    org.apache.hadoop.fs.Path staging = store.newStaging(CheckpointStore.TABLE, 0);
    FileUtils.moveDirectory(ckpt.toFile(), new java.io.File(staging.toUri()));
    store.publish(staging, new CommitMarker(CommitMarker.FORMAT, CheckpointStore.TABLE, 0, "train", 1, "checkpoint", 1,
        "test", "test", Instant.now().toString(), store.listDataFiles(staging)));
    CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf(tmp, "").toString(), "--round", "1");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("LoRA r0-abcdef012345");
    List<Row> rows = spark.read().parquet(tmp.resolve("run/samples/round=1").toString()).collectAsList();
    assertThat(rows).hasSize(9).allSatisfy(row ->
        assertThat(row.getString(row.fieldIndex("lora_checkpoint_id"))).isEqualTo("r0-abcdef012345"));
  }

  @Test
  void generateLoraNamesAFixedCheckpointOrTheBaseModelAndTheWeightsJoinTheFingerprint(@TempDir Path tmp) throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("trained/lora"));
    Path weights = elsewhere.resolve("pytorch_lora_weights.safetensors");
    Files.copy(tinyModel().resolve("golden/lora_nonzero.safetensors"), weights);
    String conf = conf(tmp, "").toString();
    String fixed = "generate.lora=\"" + elsewhere + "\"";
    String[] round0 = {"run", "--conf", conf, "--rounds", "1", "--to-stage", "generate", "--set"};

    CliResult base = RunFixtures.cli(spark, concat(round0, "generate.lora=none"));
    assertThat(base.exitCode()).as(base.err()).isZero();
    assertThat(base.out()).contains("LoRA none (base model)");
    Map<String, byte[]> basePngs = pngs(tmp, 0);

    CliResult first = RunFixtures.cli(spark, concat(round0, fixed));
    assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
    // No checkpoint.json beside the weights: the id is derived from the weights' hash.
    assertThat(first.out()).containsPattern("LoRA sha256-[0-9a-f]{12}\\)");
    Map<String, byte[]> loraPngs = pngs(tmp, 0);
    assertThat(loraPngs.keySet()).isEqualTo(basePngs.keySet());
    assertThat(loraPngs.keySet()).anySatisfy(k -> assertThat(loraPngs.get(k)).isNotEqualTo(basePngs.get(k)));

    CliResult again = RunFixtures.cli(spark, concat(round0, fixed));
    assertThat(again.out()).contains("generate round=0: up to date, skipped");

    // Other weights at the same path (one float changed): the fingerprint changes, the round reruns.
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 4] ^= 1;
    Files.write(weights, bytes);
    CliResult replaced = RunFixtures.cli(spark, concat(round0, fixed));
    assertThat(replaced.exitCode()).as(replaced.err()).isZero();
    assertThat(replaced.out()).doesNotContain("up to date").containsPattern("LoRA sha256-[0-9a-f]{12}\\)");

    // lora = none in round 1 ignores the checkpoint round 0 committed.
    Path ckpt = Files.createDirectories(tmp.resolve("run/checkpoints/round=0"));
    Files.copy(tinyModel().resolve("golden/lora_nonzero.safetensors"), ckpt.resolve("pytorch_lora_weights.safetensors"));
    CliResult none = RunFixtures.cli(spark, "generate", "--conf", conf, "--round", "1", "--set", "generate.lora=none");
    assertThat(none.exitCode()).as(none.err()).isZero();
    assertThat(none.out()).contains("LoRA none (base model)");

    CliResult missing = RunFixtures.cli(spark, "generate", "--conf", conf, "--set", "generate.lora=\"" + tmp.resolve("nope") + "\"");
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.err()).contains(tmp.resolve("nope").toString()).contains("no pytorch_lora_weights.safetensors");
  }

  private static String[] concat(String[] head, String last) {
    String[] all = java.util.Arrays.copyOf(head, head.length + 1);
    all[head.length] = last;
    return all;
  }

  @Test
  void badSettingsFailBeforeAnyWorkNamingTheKey(@TempDir Path tmp) throws Exception {
    CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf(tmp, "").toString(), "--set", "generate.guidance-scale=0.5");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out() + r.err()).contains("finerewards.generate.guidance-scale");
    CliResult size = RunFixtures.cli(spark, "generate", "--conf", conf(tmp, "").toString(), "--set", "generate.height=72");
    assertThat(size.exitCode()).isNotZero();
    assertThat(size.out() + size.err()).contains("height = 72").contains("multiple of 16");
    assertThat(tmp.resolve("run/samples")).doesNotExist();
  }
}
