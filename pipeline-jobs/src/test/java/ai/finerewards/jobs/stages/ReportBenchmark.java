package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.CodeVersion;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.StageRunner;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report stage over 10,000 ranked candidates (1,000 prompts x 10 samples, 512x512 PNGs, the
 * caption and SAM rewards, one selected per prompt, 1% excluded) with 100 training steps, in
 * local[2]: the measured part is exactly {@code finerewards report --round 0}. Target: under one
 * minute on 2 cores (issue 14). {@code -Dfinerewards.bench.report-rows=N} changes the size. Prints
 * the time; asserts only that the page and its manifest were written.
 */
@Tag("benchmark")
class ReportBenchmark extends SparkTestBase {
  static final int SAMPLES = 10;

  @TempDir Path tmp;

  @Test
  void reportOverTenThousandRankedRows() throws Exception {
    long n = Long.getLong("finerewards.bench.report-rows", 10_000);
    Path conf = RunFixtures.conf(tmp, "finerewards.jobs.progress-interval = 5s");
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "bench");
    BufferedImage img = new BufferedImage(512, 512, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 512; y++) {
      for (int x = 0; x < 512; x++) {
        img.setRGB(x, y, (x * 31 + y * 17) & 0xffffff); // not flat: a PNG of realistic work to decode
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    Dataset<Row> keys = spark.range(0, n, 1, 8).selectExpr("0 AS round",
        "concat('p', lpad(CAST(id DIV " + SAMPLES + " AS STRING), 6, '0')) AS prompt_id",
        "CAST(id % " + SAMPLES + " AS INT) AS sample_idx", "id");
    tables.overwriteRound(keys.selectExpr("round", "prompt_id", "sample_idx", "concat('prompt ', prompt_id) AS prompt",
            "CAST(NULL AS STRING) AS negative_prompt", "id AS seed")
            .withColumn("image", functions.struct(functions.lit(png.toByteArray()).as("bytes"),
                functions.concat(functions.col("prompt_id"), functions.lit(".png")).as("path")))
            .selectExpr("*", "512 AS width", "512 AS height", "'sd15' AS model_id", "CAST(NULL AS STRING) AS lora_checkpoint_id",
                "'DPMSolverMultistepScheduler' AS scheduler", "50 AS steps", "CAST(7.5 AS DOUBLE) AS guidance_scale", "0 AS truncated_tokens",
                "current_timestamp() AS created_at").drop("id"),
        Tables.SAMPLES, 0, "generate", "bench-samples");
    tables.overwriteRound(keys.selectExpr("round", "prompt_id", "sample_idx",
            "map('caption_reward', round(rand(1), 3), 'sam_reward', round(rand(2) - 0.5, 3)) AS rewards",
            "map('caption_reward', CAST(sample_idx + 1 AS DOUBLE), 'sam_reward', CAST(10 - sample_idx AS DOUBLE)) AS reward_ranks",
            "'rank_sum' AS assembly", "IF(id % 100 = 99, NULL, rand(3)) AS assembled_score",
            "IF(id % 100 = 99, NULL, sample_idx + 1) AS rank_in_prompt", "sample_idx = 0 AS selected",
            "IF(id % 100 = 99, 'missing reward sam_reward', NULL) AS excluded_reason", "current_timestamp() AS created_at"),
        Tables.RANKED, 0, "rank", "bench-ranked");
    // No train_metrics: a committed train stage requires its LoRA checkpoint (the one checkpoint
    // rule), and the report's cost is in the ranked rows and the thumbnails, not in 100 loss points.

    StageRunner runner = new StageRunner(spark, new PipelineConfigLoader().load(conf.toString(), List.of()),
        System.out, CodeVersion.current());
    long t0 = System.nanoTime();
    CommitMarker marker = runner.runStage(Stage.REPORT, 0, false);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Path page = tmp.resolve("run/report/index.html");
    System.out.printf(Locale.ROOT, "%nReportBenchmark (%s, %d cores, Spark %s, local[2]):%n",
        System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), spark.version());
    System.out.printf(Locale.ROOT, "  report over %,d ranked candidates: %.1f s, page %,d bytes%n", n, seconds, Files.size(page));
    assertThat(marker.rowCount()).isEqualTo(1);
  }
}
