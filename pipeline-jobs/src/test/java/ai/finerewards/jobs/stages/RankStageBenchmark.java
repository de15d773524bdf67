package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.CodeVersion;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.StageRunner;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rank stage over 1,000,000 candidates (100,000 prompts x 10 samples, 1% of each reward
 * missing) in local[2]: captions and llm_scores are committed first, then the measured part is
 * exactly what {@code finerewards rank} does (read and join both tables, rank per prompt, commit
 * ranked, summarise). Prints rows per second and peak memory; asserts only that every row was
 * written once.
 */
@Tag("benchmark")
class RankStageBenchmark extends SparkTestBase {
  static final int PROMPTS = 100_000;
  static final int SAMPLES = 10;

  @TempDir Path tmp;

  @Test
  void rankOneMillionCandidates() throws Exception {
    Path conf = RunFixtures.conf(tmp, "finerewards.jobs.progress-interval = 2s");
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "bench");
    long n = (long) PROMPTS * SAMPLES;
    Dataset<Row> keys = spark.range(0, n, 1, 8).selectExpr("0 AS round",
        "concat('p', lpad(CAST(id DIV " + SAMPLES + " AS STRING), 6, '0')) AS prompt_id",
        "CAST(id % " + SAMPLES + " AS INT) AS sample_idx", "id");
    tables.overwriteRound(keys.selectExpr("round", "prompt_id", "sample_idx", "'a caption' AS caption",
            "IF(rand(1) < 0.01, CAST(NULL AS DOUBLE), round(rand(2), 3)) AS caption_reward",
            "'blip2' AS captioner_model_id", "'clip' AS clip_model_id", "CAST(NULL AS STRING) AS error",
            "current_timestamp() AS created_at"),
        Tables.CAPTIONS, 0, "caption", "bench-captions");
    tables.overwriteRound(keys.selectExpr("round", "prompt_id", "sample_idx", "3 AS n_labels",
            "IF(rand(3) < 0.01, CAST(NULL AS DOUBLE), round(rand(4) - 0.5, 2)) AS sam_reward", "false AS no_labels",
            "'vicuna' AS llm_model_id", "CAST(NULL AS STRING) AS error", "current_timestamp() AS created_at")
            .withColumn("label_scores", functions.lit(null).cast(
                SparkSchemas.toDataType(Tables.LLM_SCORES.column("label_scores").orElseThrow().type()))),
        Tables.LLM_SCORES, 0, "score", "bench-llm");

    System.gc();
    List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    boolean rssReset = resetPeakRss();

    StageRunner runner = new StageRunner(spark, new PipelineConfigLoader().load(conf.toString(), List.of()),
        System.out, CodeVersion.current());
    long t0 = System.nanoTime();
    CommitMarker marker = runner.runStage(Stage.RANK, 0, false);
    double seconds = (System.nanoTime() - t0) / 1e9;

    long heapPeak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    System.out.printf(Locale.ROOT, "%nRankStageBenchmark (%s, %d cores, Spark %s, local[2]):%n",
        System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), spark.version());
    System.out.printf(Locale.ROOT, "  rank over %,d candidates: %.1f s, %,.0f rows/s%n", n, seconds, n / seconds);
    System.out.printf(Locale.ROOT, "  JVM heap peak during rank (sum of heap pool peaks): %,d MiB (max heap %,d MiB)%n",
        heapPeak >> 20, Runtime.getRuntime().maxMemory() >> 20);
    System.out.printf(Locale.ROOT, "  process RSS peak (VmHWM)%s: %s%n",
        rssReset ? " since the rank started" : " of the whole test JVM (could not reset)", procStatus("VmHWM"));
    assertThat(marker.rowCount()).isEqualTo(n);
  }

  /** Resets the kernel's peak-RSS counter of this process (Linux: write 5 to /proc/self/clear_refs). */
  private static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static String procStatus(String field) throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return "n/a (no /proc)";
    }
    return Files.readAllLines(status).stream().filter(l -> l.startsWith(field + ":"))
        .map(l -> l.substring(field.length() + 1).trim()).findFirst().orElse("n/a");
  }
}
