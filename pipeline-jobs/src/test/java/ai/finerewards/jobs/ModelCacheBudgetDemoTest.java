package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.model.DeviceMemoryBudget;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo ({@code conf/local.conf}: every model stage, two rounds, so round 1 generates and evaluate
 * samples with LoRA UNets) under a 3 MiB device memory budget, then under an unlimited one: the small
 * budget must evict (the tiny models take about 8 MB together, one stage's about 2.5 MB) and every
 * table must hold the same values, images byte for byte, and the LoRA checkpoints the same bytes.
 * Smaller than the demo (4 prompts, 2 samples, 4 steps) to keep it to about a minute per run.
 */
class ModelCacheBudgetDemoTest extends SparkTestBase {
  static final List<String> TABLES = List.of(Tables.SAMPLES.name(), Tables.CAPTIONS.name(), Tables.SEGMENTS.name(),
      Tables.LLM_SCORES.name(), Tables.RANKED.name(), Tables.TRAIN_METRICS.name(), Tables.EVALUATIONS.name());
  @TempDir Path tmp;

  static Path repo() {
    return Path.of(System.getProperty("finerewards.repo.root", "..")).toAbsolutePath().normalize();
  }

  @AfterAll
  static void unlimitedAgain() {
    ModelCache.get().setBudget(DeviceMemoryBudget.UNLIMITED);
  }

  CliResult demo(Path root, String budget) throws Exception {
    Path prompts = tmp.resolve("prompts.txt");
    if (!Files.exists(prompts)) {
      Files.write(prompts, Files.readAllLines(repo().resolve("conf/demo/prompts.txt")).stream()
          .filter(s -> !s.isBlank()).limit(4).toList());
    }
    List<String> args = new ArrayList<>(List.of("run", "--conf", repo().resolve("conf/local.conf").toString()));
    List<String> sets = new ArrayList<>(List.of("run.root=\"" + root.toUri() + "\"", "prompts.path=\"" + prompts + "\"",
        "evaluate.prompts.path=\"" + prompts + "\"", "generate.samples-per-prompt=2", "generate.steps=4",
        "evaluate.samples-per-prompt=1", "train.steps-per-sample=2", "jobs.progress-interval=100ms",
        "jobs.run-stages=[generate, caption, segment, score, rank, train, evaluate]",
        "model-cache.device-memory-budget=" + budget));
    for (String family : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      sets.add("models." + family + "=\"" + repo().resolve("models/tiny/" + family) + "\"");
    }
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return RunFixtures.cli(spark, args.toArray(String[]::new));
  }

  /** A table's rows as JSON (binary columns base64), sorted, without its timestamps. */
  List<String> rows(Path root, String table, int round) {
    Dataset<Row> df = new RoundTables(spark, root.toUri().toString(), "test").read(table, round, "test");
    List<Column> kept = new ArrayList<>();
    for (StructField f : df.schema().fields()) {
      // Wall-clock columns: when a row was written and training's elapsed seconds.
      if (!(f.dataType() instanceof TimestampType) && !f.name().equals("elapsed_s")) {
        kept.add(df.col(f.name()));
      }
    }
    return df.select(functions.to_json(functions.struct(kept.toArray(Column[]::new)))).as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().sorted().toList();
  }

  @Test
  void aSmallBudgetEvictsAndLeavesEveryOutputUnchanged() throws Exception {
    ModelCache.get().closeAll(); // a clean start: every model of the demo loads under the budget
    ModelCache.Stats before = ModelCache.get().stats();
    Path small = tmp.resolve("small");
    CliResult a = demo(small, "3m");
    assertThat(a.exitCode()).as(a.out() + a.err()).isZero();
    ModelCache.Stats underBudget = ModelCache.get().stats().since(before);
    System.out.print(a.out());
    assertThat(underBudget.evictions()).as("evictions under a 3 MiB budget").isPositive();
    assertThat(a.out()).containsPattern("caption round=0: model cache \\(this JVM\\): \\d+ load\\(s\\), [1-9]\\d* eviction\\(s\\)");

    ModelCache.get().closeAll();
    ModelCache.Stats before2 = ModelCache.get().stats();
    Path unlimited = tmp.resolve("unlimited");
    CliResult b = demo(unlimited, "unlimited");
    assertThat(b.exitCode()).as(b.out() + b.err()).isZero();
    ModelCache.Stats unlimitedStats = ModelCache.get().stats().since(before2);
    assertThat(unlimitedStats.evictions()).as("no evictions without a budget").isZero();
    // evaluate generates with the base model, then round 0's LoRA, then round 1's: each new
    // checkpoint's UNet releases the older one, budget or not.
    assertThat(unlimitedStats.releases()).as("older LoRA UNets released").isPositive();
    assertThat(underBudget.loads()).as("evicted models were loaded again").isGreaterThan(unlimitedStats.loads());

    for (int round = 0; round < 2; round++) {
      for (String table : TABLES) {
        List<String> x = rows(small, table, round);
        assertThat(x).as("%s round %d", table, round).isNotEmpty().isEqualTo(rows(unlimited, table, round));
      }
      String weights = "checkpoints/round=" + round + "/pytorch_lora_weights.safetensors";
      assertThat(Files.readAllBytes(small.resolve(weights))).as(weights).isEqualTo(Files.readAllBytes(unlimited.resolve(weights)));
    }
  }
}
