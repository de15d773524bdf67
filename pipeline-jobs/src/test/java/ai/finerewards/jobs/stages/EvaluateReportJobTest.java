package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.seed.SampleSeeds;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finerewards run} through evaluate and report on the tiny diffusion model, ranked by the
 * built-in image rewards (no captioner, segmenter or LLM: seconds, not minutes): the held-out
 * samples of every checkpoint share their seeds, the base model sits in round 0 as checkpoint -1,
 * every configured reward is scored, the report escapes hostile prompts, and a second run skips both
 * stages as up to date. bin/test.d/70-report.sh runs every reward and opens the page in Chromium.
 */
class EvaluateReportJobTest extends SparkTestBase {
  static final String SCRIPT = "<script>alert('x')</script> a cat on a sofa";
  static final String RTL = "\u05d7\u05ea\u05d5\u05dc \u05e2\u05dc \u05e1\u05e4\u05d4";

  @TempDir Path tmp;

  static Path repo() {
    return Path.of(System.getProperty("finerewards.repo.root", "..")).toAbsolutePath().normalize();
  }

  String[] run(Path root, Path prompts, Path heldOut) {
    List<String> args = new ArrayList<>(List.of("run", "--conf", repo().resolve("conf/local.conf").toString()));
    // Not root.toUri(): it ends with "/" once the directory exists, and run.root is part of the fingerprint.
    for (String s : List.of("run.root=\"file://" + root + "\"", "run.rounds=2", "prompts.path=\"" + prompts + "\"",
        "evaluate.prompts.path=\"" + heldOut + "\"", "models.diffusion=\"" + repo().resolve("models/tiny/diffusion") + "\"",
        "generate.samples-per-prompt=2", "generate.steps=2", "evaluate.samples-per-prompt=2", "train.max-steps=2",
        "train.learning-rate=1e-2", "rank.rewards=[jpeg_compressibility, brightness]",
        "jobs.rank-inputs=[{table = samples, columns = [jpeg_compressibility, brightness]}]",
        "jobs.run-stages=[generate, rank, train, evaluate, report]", "report.gallery-size=2")) {
      args.add("--set");
      args.add(s);
    }
    return args.toArray(String[]::new);
  }

  @Test
  void evaluatesEveryCheckpointWithTheSameSeedsAndReportsEscapedText() throws IOException {
    Path prompts = tmp.resolve("prompts.jsonl");
    Files.writeString(prompts, "{\"prompt_id\": \"s\", \"prompt\": \"" + SCRIPT + "\"}\n"
        + "{\"prompt_id\": \"r\", \"prompt\": \"" + RTL + "\\nsecond line\"}\n", StandardCharsets.UTF_8);
    Path heldOut = tmp.resolve("heldout.txt");
    Files.writeString(heldOut, "a lighthouse at dusk\na bowl of fruit\nthree birds on a wire\n", StandardCharsets.UTF_8);
    Path root = tmp.resolve("run");

    CliResult first = RunFixtures.cli(spark, run(root, prompts, heldOut));
    assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
    assertThat(first.out()).contains("evaluate round=0: held-out rewards per checkpoint")
        .contains("evaluate round=1 checkpoint=1 | generate round=0: 6 images")
        .containsPattern("  base model +- +jpeg_compressibility +6 ")
        .containsPattern("  LoRA of round 1 +r1-[0-9a-f]{12} +brightness +6 ")
        .contains("report round=1: ");

    RoundTables tables = new RoundTables(spark, root.toUri().toString(), "test");
    List<Row> round0 = tables.read(Tables.EVALUATIONS, 0, "evaluate").collectAsList();
    List<Row> round1 = tables.read(Tables.EVALUATIONS, 1, "evaluate").collectAsList();
    // Round 0 holds the base model (-1) and round 0's checkpoint; round 1 only its own checkpoint.
    assertThat(round0).extracting(r -> (Integer) r.getAs("checkpoint_round")).containsOnly(-1, 0).hasSize(12);
    assertThat(round1).extracting(r -> (Integer) r.getAs("checkpoint_round")).containsOnly(1).hasSize(6);
    assertThat(round1).extracting(r -> (String) r.getAs("lora_checkpoint_id")).allMatch(id -> id.startsWith("r1-"));
    List<Row> all = new ArrayList<>(round0);
    all.addAll(round1);
    Map<String, Long> seedOf = new HashMap<>();
    for (Row r : all) {
      String key = r.getAs("prompt_id") + "#" + r.getAs("sample_idx");
      // The seed is that of round 0 under evaluate.base-seed, whatever the checkpoint.
      long expected = SampleSeeds.seed(20240607L, 0, r.getAs("prompt_id"), r.getAs("sample_idx"));
      assertThat((Long) r.getAs("seed")).as(key).isEqualTo(expected);
      seedOf.merge(key, r.getAs("seed"), (a, b) -> {
        assertThat(a).isEqualTo(b);
        return a;
      });
      Map<String, Double> rewards = r.getJavaMap(r.fieldIndex("rewards"));
      assertThat(rewards).containsOnlyKeys("jpeg_compressibility", "brightness");
      assertThat(rewards.values()).allMatch(v -> v != null && Double.isFinite(v));
    }
    assertThat(seedOf).hasSize(6); // 3 prompts x 2 samples, shared by the 3 checkpoints

    // The evaluation images are kept in the work tables (samples of the nested run).
    assertThat(new RoundTables(spark, root.resolve("evaluate/checkpoint=-1").toUri().toString(), "test")
        .read(Tables.SAMPLES, 0, "generate").count()).isEqualTo(6);

    String html = Files.readString(root.resolve("report/index.html"), StandardCharsets.UTF_8);
    assertThat(html).doesNotContainIgnoringCase("<script").contains("&lt;script&gt;alert('x')&lt;/script&gt; a cat on a sofa")
        .contains(RTL + "\nsecond line").contains("base model").contains("LoRA of round 1")
        .contains("data:image/png;base64,");
    assertThat(tables.read(Tables.REPORT, 1, "report").first().<String>getAs("page")).isEqualTo("index.html");

    CliResult second = RunFixtures.cli(spark, run(root, prompts, heldOut));
    assertThat(second.exitCode()).as(second.err()).isZero();
    assertThat(second.out()).contains("generate round=0: up to date, skipped").contains("train round=1: up to date, skipped")
        .contains("evaluate round=0: up to date, skipped").contains("evaluate round=1: up to date, skipped")
        .contains("report round=1: up to date, skipped")
        // A skipped evaluate still prints the held-out table, read from the committed evaluations.
        .containsPattern("  LoRA of round 1 +r1-[0-9a-f]{12} +brightness +6 ");
  }
}
