package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.llm.LlmScorer;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.segment.ImageSegmenter;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput of the segment and score stages on the tiny models, through the stage (CLI, local[2])
 * against a plain single-thread loop in the same JVM over the same inputs, and the LLM forward
 * passes of a demo round against the (image, label) pairs it scored. Run with
 * {@code mvn -o -Pbench -pl pipeline-core,pipeline-jobs -am test -Dtest=SegmentScoreBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class SegmentScoreBenchmark extends SparkTestBase {
  static final int SAMPLES_PER_PROMPT = 4;
  @TempDir Path tmp;

  @Test
  void segmentAndScoreThroughput() throws Exception {
    Path conf = RunFixtures.conf(tmp, SegmentScoreFixtures.modelsConf());
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "bench");
    List<String> texts = Files.readAllLines(SegmentScoreFixtures.tiny("clip").resolve("../../../conf/demo/prompts.txt").normalize())
        .stream().filter(s -> !s.isBlank()).toList();
    List<String> ids = new ArrayList<>();
    List<String[]> prompts = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      ids.add("p" + i);
      prompts.add(new String[] {"p" + i, texts.get(i)});
    }
    SegmentScoreFixtures.samples(spark, tables, 0, ids, SAMPLES_PER_PROMPT, false);
    SegmentScoreFixtures.prompts(spark, tables, 0, prompts);
    Config root = ConfigFactory.parseFile(conf.toFile()).withFallback(ConfigFactory.defaultReference()).resolve();
    ModelRuntime runtime = ModelRuntime.from(root);
    List<byte[]> images = tables.read(Tables.SAMPLES, 0, "generate").select("image.bytes").collectAsList()
        .stream().map(r -> (byte[]) r.get(0)).toList();
    int n = images.size();

    // Plain loop: one fresh thread (like a task thread: DJL applies graph_optimizer=false, set by
    // surefire, only to the thread that created the engine, and that thread runs these models
    // several times slower); the second pass is timed, the first warms TorchScript and the JIT.
    SegmentConfig segCfg = SegmentConfig.from(root.getConfig("finerewards.segment"));
    java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor();
    double loopImagesPerSec = worker.submit(() -> {
      double rate = 0;
      try (ImageSegmenter s = ImageSegmenter.open(runtime, segCfg, List.of())) {
        for (int pass = 0; pass < 2; pass++) {
          long t0 = System.nanoTime();
          for (byte[] img : images) {
            assertThat(s.segment(img).error()).isNull();
          }
          rate = n / ((System.nanoTime() - t0) / 1e9);
        }
      }
      return rate;
    }).get();
    // Stage: the second run is timed (the first warms Spark and the executor's caches).
    RunFixtures.cli(spark, "segment", "--conf", conf.toString(), "--round", "0");
    long t0 = System.nanoTime();
    CliResult seg = RunFixtures.cli(spark, "segment", "--conf", conf.toString(), "--round", "0");
    double stageImagesPerSec = n / ((System.nanoTime() - t0) / 1e9);
    assertThat(seg.exitCode()).as(seg.err()).isEqualTo(0);

    // Score, plain loop: the distinct (prompt, label) pairs of the segments just written.
    List<Row> segRows = tables.read(Tables.SEGMENTS, 0, "segment")
        .selectExpr("prompt_id", "array_distinct(filter(transform(parts, p -> p.label), l -> l IS NOT NULL)) AS labels")
        .collectAsList();
    Set<List<String>> distinct = new LinkedHashSet<>();
    long imageLabelPairs = 0;
    for (Row r : segRows) {
      String text = texts.get(Integer.parseInt(r.getString(0).substring(1)));
      for (Object l : r.getList(1)) {
        distinct.add(List.of(text, (String) l));
        imageLabelPairs++;
      }
    }
    ScoreConfig scoreCfg = ScoreConfig.from(root.getConfig("finerewards.score"));
    double loopPairsPerSec = worker.submit(() -> {
      try (LlmScorer s = LlmScorer.open(runtime, scoreCfg, List.of())) {
        List<LlmScorer.Pair> pairs = distinct.stream().map(p -> new LlmScorer.Pair(p.get(0), p.get(1))).toList();
        s.score(pairs);
        long t1 = System.nanoTime();
        s.score(pairs);
        return pairs.size() / ((System.nanoTime() - t1) / 1e9);
      }
    }).get();
    worker.shutdown();
    RunFixtures.cli(spark, "score", "--conf", conf.toString(), "--round", "0");
    long passes0 = LlmScorer.forwardPasses();
    long t2 = System.nanoTime();
    CliResult score = RunFixtures.cli(spark, "score", "--conf", conf.toString(), "--round", "0");
    double stageSeconds = (System.nanoTime() - t2) / 1e9;
    long passes = LlmScorer.forwardPasses() - passes0;
    assertThat(score.exitCode()).as(score.err()).isEqualTo(0);
    long scoredPairs = tables.read(Tables.LLM_SCORES, 0, "score").selectExpr("sum(n_labels)").first().getLong(0);
    assertThat(scoredPairs).isEqualTo(imageLabelPairs);

    System.out.printf("BENCH (CPU, %d cores visible, local[2])%n", Runtime.getRuntime().availableProcessors());
    System.out.printf("BENCH segment: %d images (64 points each), plain loop %.2f images/s, stage %.2f images/s, "
        + "stage/loop %.2f%n", n, loopImagesPerSec, stageImagesPerSec, stageImagesPerSec / loopImagesPerSec);
    System.out.printf("BENCH score: %d (image, label) pairs, %d distinct questions, plain loop %.1f questions/s, "
        + "stage %.1f (image, label) pairs/s = %.1f questions/s, stage/loop %.2f%n",
        imageLabelPairs, distinct.size(), loopPairsPerSec, imageLabelPairs / stageSeconds, distinct.size() / stageSeconds,
        (distinct.size() / stageSeconds) / loopPairsPerSec);
    System.out.printf("BENCH demo round: %d LLM forward passes for %d (image, label) pairs (%d distinct questions, "
        + "batch-size %d)%n", passes, imageLabelPairs, distinct.size(), scoreCfg.batchSize());
    System.out.print(seg.out());
    System.out.print(score.out());
  }
}
