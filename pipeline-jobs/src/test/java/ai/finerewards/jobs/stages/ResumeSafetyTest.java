package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume never uses stale or wrong data (issue 13): every way a user can leave a run root or its
 * inputs in a state the last run did not see ends with the outputs of a clean run or with a clear
 * error, never with exit 0 and wrong data. On the tiny diffusion model, through the CLI.
 */
class ResumeSafetyTest extends SparkTestBase {
  @TempDir Path tmp;
  Path model;

  @BeforeEach
  void setUp() throws Exception {
    Path tiny = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize()
        .resolve("models/tiny/diffusion");
    Assumptions.assumeTrue(Files.isRegularFile(tiny.resolve("unet.pt")), "tiny diffusion model not exported");
    // A private copy of the model: some tests damage it. Only the files the pipeline loads.
    model = Files.createDirectories(tmp.resolve("model"));
    try (Stream<Path> files = Files.list(tiny)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, model.resolve(f.getFileName().toString()));
      }
    }
  }

  // ------------------------------------------------------------------ the train stage's checkpoint

  /** A round 0 with hand-made samples and rewards; the run does rank and train. */
  private Path trainConf(Path dir) throws Exception {
    Path conf = RunFixtures.conf(dir, "finerewards.models.diffusion = \"" + model + "\"\n"
        + "finerewards.prompts.path = \"" + prompts(dir, 2) + "\"\n"
        + "finerewards.generate { height = 64, width = 64, steps = 2, samples-per-prompt = 1, scheduler = ddim }\n"
        + "finerewards.train { learning-rate = 1e-3, batch-size = 2, steps-per-sample = 1, checkpoint-every = 2 }\n"
        + "finerewards.jobs.run-stages = [rank, train]");
    RoundTables tables = new RoundTables(spark, dir.resolve("run").toUri().toString(), "test");
    List<Row> rows = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      for (int s = 0; s < 2; s++) {
        String id = p == 0 ? "a" : "b";
        rows.add(RowFactory.create(0, id, s, "prompt " + id, null, 42L,
            RowFactory.create(TrainJobTest.png(p * 2 + s), id + "-" + s + ".png"), 64, 64, "tiny@000000000000", null,
            "DDIMScheduler", 2, 7.5, 0, Timestamp.from(Instant.now())));
      }
    }
    tables.overwriteRound(spark.createDataFrame(rows, SparkSchemas.toStructType(Tables.SAMPLES)),
        Tables.SAMPLES, 0, "generate", "samples-fp");
    RunFixtures.captions(spark, tables, 0, "('a', 0, 0.1), ('a', 1, 0.9), ('b', 0, 0.8), ('b', 1, 0.2)");
    RunFixtures.llmScores(spark, tables, 0, "('a', 0, 0.1), ('a', 1, 0.3), ('b', 0, 0.3), ('b', 1, 0.1)");
    return conf;
  }

  private CliResult run(Path conf, String... more) {
    List<String> args = new ArrayList<>(List.of("run", "--rounds", "1", "--conf", conf.toString()));
    args.addAll(List.of(more));
    return RunFixtures.cli(spark, args.toArray(new String[0]));
  }

  private static byte[] weights(Path dir) throws Exception {
    return Files.readAllBytes(dir.resolve("run/checkpoints/round=0/pytorch_lora_weights.safetensors"));
  }

  @Test
  void aDeletedUnmarkedOrHalfPublishedCheckpointIsRebuiltOrRecoveredNeverReplacedByTheBaseModel() throws Exception {
    Path conf = trainConf(tmp);
    CliResult first = run(conf);
    assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
    byte[] clean = weights(tmp);
    Path ckpt = tmp.resolve("run/checkpoints/round=0");

    // Deleted: train_metrics alone no longer makes train up to date.
    FileUtils.deleteDirectory(ckpt.toFile());
    CliResult status = RunFixtures.cli(spark, "status", "--rounds", "1", "--conf", conf.toString());
    assertThat(status.exitCode()).isZero();
    assertThat(status.out()).contains("round 0 rank: committed").contains("round 0 train: stale (checkpoints round 0: missing)");
    CliResult deleted = run(conf);
    assertThat(deleted.exitCode()).as(deleted.out() + deleted.err()).isZero();
    assertThat(deleted.out()).contains("rank round=0: up to date").contains("train round=0: recomputing (checkpoints round 0: missing)");
    assertThat(weights(tmp)).isEqualTo(clean);

    // Unmarked: generate of round 1 refuses it (it used to sample the base model), run rebuilds it.
    Files.delete(ckpt.resolve(CommitMarker.FILE_NAME));
    CliResult generate = RunFixtures.cli(spark, "generate", "--conf", conf.toString(), "--round", "1");
    assertThat(generate.exitCode()).isEqualTo(1);
    assertThat(generate.err()).contains("LoRA checkpoint of round 0").contains("no commit marker")
        .contains("finerewards train --round 0");
    assertThat(tmp.resolve("run/samples/round=1")).doesNotExist();
    CliResult unmarked = run(conf);
    assertThat(unmarked.exitCode()).as(unmarked.out() + unmarked.err()).isZero();
    assertThat(unmarked.out()).contains("train round=0: recomputing (checkpoints round 0: no commit marker)");
    assertThat(weights(tmp)).isEqualTo(clean);

    // The state a crash between "old checkpoint to _trash" and "staging into place" leaves.
    Path trash = Files.createDirectories(tmp.resolve("run/checkpoints/_trash")).resolve("round=0-crash");
    Path staging = Files.createDirectories(tmp.resolve("run/checkpoints/_staging")).resolve("round=0-crash");
    FileUtils.copyDirectory(ckpt.toFile(), staging.toFile());
    Files.move(ckpt, trash);
    CliResult interrupted = RunFixtures.cli(spark, "generate", "--conf", conf.toString(), "--round", "1");
    assertThat(interrupted.exitCode()).isEqualTo(1);
    assertThat(interrupted.err()).contains("its publish was interrupted");
    CliResult recovered = run(conf);
    assertThat(recovered.exitCode()).as(recovered.out() + recovered.err()).isZero();
    assertThat(recovered.out()).contains("train round=0: up to date");
    assertThat(weights(tmp)).isEqualTo(clean);
    assertThat(staging).doesNotExist();
    assertThat(trash).doesNotExist();
  }

  @Test
  void aDamagedParquetFileFailsASingleStageAndIsRecomputedByRun() throws Exception {
    Path conf = trainConf(tmp);
    assertThat(run(conf).exitCode()).isZero();
    byte[] clean = weights(tmp);
    Path ranked;
    try (Stream<Path> files = Files.list(tmp.resolve("run/ranked/round=0"))) {
      ranked = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(ranked);
    bytes[bytes.length / 2] ^= 0x5a; // same size: only the recorded checksum can tell
    Files.write(ranked, bytes);

    CliResult train = RunFixtures.cli(spark, "train", "--conf", conf.toString(), "--round", "0");
    assertThat(train.exitCode()).isEqualTo(1);
    assertThat(train.err()).contains("table ranked round 0 is not committed")
        .contains(ranked.getFileName() + " is damaged").contains("run stage 'rank'");

    CliResult resumed = run(conf);
    assertThat(resumed.exitCode()).as(resumed.out() + resumed.err()).isZero();
    assertThat(resumed.out()).contains("rank round=0: recomputing (ranked: data file").contains("is damaged");
    // Rank recomputes the same rows, so train's inputs are unchanged.
    assertThat(resumed.out()).contains("train round=0: up to date");
    assertThat(weights(tmp)).isEqualTo(clean);
  }

  @Test
  void aCopiedRunRootResumesWithoutRecomputing() throws Exception {
    Path a = Files.createDirectories(tmp.resolve("a"));
    Path conf = trainConf(a);
    assertThat(run(conf).exitCode()).isZero();
    Path b = tmp.resolve("b");
    FileUtils.copyDirectory(a.resolve("run").toFile(), b.resolve("run").toFile());
    CliResult copied = run(conf, "--set", "run.root=\"" + b.resolve("run").toUri() + "\"");
    assertThat(copied.exitCode()).as(copied.out() + copied.err()).isZero();
    assertThat(copied.out()).contains("rank round=0: up to date").contains("train round=0: up to date");
  }

  // ------------------------------------------------------------------ generate's external inputs

  private static Path prompts(Path dir, int n) throws Exception {
    Path file = dir.resolve("prompts.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      text.append("a red cube number ").append(i).append('\n');
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private Path generateConf(Path dir) throws Exception {
    return RunFixtures.conf(dir, "finerewards.models.diffusion = \"" + model + "\"\n"
        + "finerewards.prompts.path = \"" + prompts(dir, 2) + "\"\n"
        + "finerewards.generate { height = 64, width = 64, steps = 2, samples-per-prompt = 1, batch-size = 4,"
        + " scheduler = ddim }\n"
        + "finerewards.jobs.run-stages = [generate]");
  }

  private Map<String, byte[]> images(Path dir) {
    Map<String, byte[]> out = new TreeMap<>();
    RoundTables tables = new RoundTables(spark, dir.resolve("run").toUri().toString(), "test");
    for (Row r : tables.read(Tables.SAMPLES, 0, "generate").collectAsList()) {
      out.put(r.getString(r.fieldIndex("prompt_id")), r.getStruct(r.fieldIndex("image")).getAs("bytes"));
    }
    return out;
  }

  @Test
  void aChangedPromptFileOrDamagedSamplesAreRegenerated() throws Exception {
    Path conf = generateConf(tmp);
    assertThat(run(conf).exitCode()).isZero();
    Map<String, byte[]> clean = images(tmp);
    assertThat(clean).hasSize(2);

    Path samples;
    try (Stream<Path> files = Files.list(tmp.resolve("run/samples/round=0"))) {
      samples = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(samples);
    bytes[bytes.length / 3] ^= 0x01;
    Files.write(samples, bytes);
    CliResult damaged = run(conf);
    assertThat(damaged.exitCode()).as(damaged.out() + damaged.err()).isZero();
    assertThat(damaged.out()).contains("generate round=0: recomputing (samples: data file");
    assertThat(images(tmp)).containsOnlyKeys(clean.keySet().toArray(new String[0]));
    clean.forEach((id, png) -> assertThat(images(tmp).get(id)).as(id).isEqualTo(png));

    Files.writeString(tmp.resolve("prompts.txt"), "a green sphere\n", StandardOpenOption.APPEND);
    CliResult status = RunFixtures.cli(spark, "status", "--rounds", "1", "--conf", conf.toString());
    assertThat(status.out()).contains("round 0 generate: stale (fingerprint changed");
    CliResult appended = run(conf);
    assertThat(appended.exitCode()).as(appended.out() + appended.err()).isZero();
    assertThat(appended.out()).contains("generate round=0: 3 images");
    Map<String, byte[]> regenerated = images(tmp);
    assertThat(regenerated).hasSize(3);
    // A new prompt changes which samples share a generate batch (keys are hash-partitioned), and a
    // batch of another composition may round the UNet's sums differently: the documented effect is
    // at most one level in a pixel (docs/generate.md, "Determinism"), never another image.
    clean.forEach((id, png) -> assertThat(maxPixelDifference(regenerated.get(id), png)).as("unchanged prompt " + id)
        .isLessThanOrEqualTo(1));
  }

  /** The largest difference of one channel of one pixel between two PNGs of the same size. */
  private static int maxPixelDifference(byte[] pngA, byte[] pngB) {
    java.awt.image.BufferedImage a;
    java.awt.image.BufferedImage b;
    try {
      a = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(pngA));
      b = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(pngB));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(a.getWidth()).isEqualTo(b.getWidth());
    assertThat(a.getHeight()).isEqualTo(b.getHeight());
    int max = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int pa = a.getRGB(x, y);
        int pb = b.getRGB(x, y);
        for (int shift = 0; shift < 24; shift += 8) {
          max = Math.max(max, Math.abs(((pa >> shift) & 0xff) - ((pb >> shift) & 0xff)));
        }
      }
    }
    return max;
  }

  @Test
  void anEditedModelFileFailsOnTheDriverWithTheHashesAndTheExporterCommand() throws Exception {
    Path conf = generateConf(tmp);
    assertThat(run(conf).exitCode()).isZero();
    Files.writeString(model.resolve("scheduler_config.json"),
        Files.readString(model.resolve("scheduler_config.json")).replace("}", ", \"note\": 1}"));
    CliResult edited = run(conf);
    assertThat(edited.exitCode()).isEqualTo(1);
    assertThat(edited.err()).contains("model file " + model.resolve("scheduler_config.json"))
        .contains("does not match").containsPattern("SHA-256 [0-9a-f]{64}.*found .*SHA-256 [0-9a-f]{64}")
        .contains("python -m finerewards_export hash --dir " + model)
        .doesNotContain("\tat "); // one paragraph, no stack trace
  }

  @Test
  void aTruncatedModelFileFailsBeforeAnythingIsWritten() throws Exception {
    Path conf = generateConf(tmp);
    Path unet = model.resolve("unet.pt");
    byte[] bytes = Files.readAllBytes(unet);
    Files.write(unet, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("model file " + unet).contains(bytes.length + " bytes")
        .contains("found " + bytes.length / 2 + " bytes").contains("finerewards_export hash")
        .doesNotContain("\tat ");
    assertThat(r.err().lines().count()).as(r.err()).isLessThan(5);
    assertThat(tmp.resolve("run/prompts")).doesNotExist();
  }

  @Test
  void fractionalIntegersAndBadSidesExitWith78NamingTheFullKey() throws Exception {
    Path conf = generateConf(tmp);
    for (String[] bad : new String[][] {{"generate.steps=2.5", "finerewards.generate.steps = 2.5"},
        {"generate.samples-per-prompt=1.9", "finerewards.generate.samples-per-prompt = 1.9"},
        {"train.max-steps=2.7", "finerewards.train.max-steps = 2.7"},
        {"generate.height=72", "finerewards.generate.height = 72: expected a multiple of 16"}}) {
      CliResult r = RunFixtures.cli(spark, bad[0].startsWith("train") ? "train" : "generate",
          "--conf", conf.toString(), "--set", bad[0]);
      assertThat(r.exitCode()).as(bad[0] + ": " + r.err()).isEqualTo(78);
      assertThat(r.err()).contains(bad[1]);
    }
    assertThat(tmp.resolve("run/samples")).doesNotExist();
  }
}
