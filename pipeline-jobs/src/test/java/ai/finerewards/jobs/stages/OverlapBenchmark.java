package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.caption.CaptionInput;
import ai.finerewards.core.caption.CaptionRewardRunner;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.diffusion.DiffusionComponents;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.diffusion.SampleGeneration;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.segment.ImageSegmenter;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.caption.SampleFixtures;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlap inside a task (issue 15, item 4): stage throughput of generate, caption and segment against a
 * model-only loop, the same model calls on pre-made inputs (prompts for generate, decoded images for
 * caption and segment) on one thread of this JVM, with no decoding, PNG encoding, rows or Spark.
 * The stages run in local[1]: one task, so one model thread, as in the loop; the task's prepare
 * thread and its writer use the second core, which is what the overlap is for. Goal: stage / loop
 * >= 0.95 with fixed Spark costs under 5% of the stage's time (the small warm-up run's time of each
 * stage is printed as an upper bound of those costs).
 *
 * <p>Sizes (system properties), chosen so that each stage's model work is tens of seconds:
 * generate {@code bench.overlap.prompts} (default 40) x 4 samples of 64x64, {@code bench.overlap.steps}
 * (default 25) DDIM steps, batch 8; caption {@code bench.overlap.caption-images} (default 4096) and
 * segment {@code bench.overlap.segment-images} (default 384) images, the generated ones repeated under
 * new keys (the tiny captioner is ~20x faster per image than the tiny UNet's 25 steps). A tiny run to
 * check that it works: {@code -Dbench.overlap.prompts=2 -Dbench.overlap.steps=2
 * -Dbench.overlap.caption-images=16 -Dbench.overlap.segment-images=8}. Run: {@code mvn -o -q -Pbench -pl pipeline-jobs -am test
 * -Dtest=OverlapBenchmark -Dsurefire.failIfNoSpecifiedTests=false}; see docs/performance.md.
 */
@Tag("benchmark")
class OverlapBenchmark {
  private static final int PROMPTS = Integer.getInteger("bench.overlap.prompts", 40);
  private static final int CAPTION_IMAGES = Integer.getInteger("bench.overlap.caption-images", 4096);
  private static final int SEGMENT_IMAGES = Integer.getInteger("bench.overlap.segment-images", 384);
  private static final int PER_PROMPT = 4;
  private static final int STEPS = Integer.getInteger("bench.overlap.steps", 25);
  private static final int BATCH = 8;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[1]").appName("overlap-bench")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1").config("spark.sql.session.timeZone", "UTC").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    ModelCache.get().closeAll();
  }

  private static Path conf(Path dir, int prompts) throws Exception {
    Path repo = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < prompts; i++) {
      text.append("a photo of a cat and a dog number ").append(i).append(" on a wooden table\n");
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("prompts.txt"), text, StandardCharsets.UTF_8);
    StringBuilder extra = new StringBuilder("finerewards.prompts.path = \"" + dir.resolve("prompts.txt") + "\"\n");
    for (String family : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      extra.append("finerewards.models.").append(family).append(" = \"").append(repo.resolve("models/tiny/" + family))
          .append("\"\n");
    }
    extra.append("finerewards.models.device = cpu\n")
        .append("finerewards.generate { height = 64, width = 64, steps = ").append(STEPS)
        .append(", samples-per-prompt = ").append(PER_PROMPT).append(", batch-size = ").append(BATCH)
        .append(", scheduler = ddim }\n")
        // The demo's segment settings (conf/local.conf): the tiny SAM keeps parts only with these.
        .append("finerewards.segment { points-per-side = 8, points-per-batch = 32, pred-iou-thresh = 0.0,"
            + " stability-score-thresh = 0.5, stability-score-offset = 0.0, box-nms-thresh = 0.9, label-threshold = 0.0 }\n");
    return RunFixtures.conf(dir, extra.toString());
  }

  private static double stage(Path conf, String stage, int round) {
    long t0 = System.nanoTime();
    CliResult r = RunFixtures.cli(spark, stage, "--conf", conf.toString(), "--round", Integer.toString(round));
    double s = (System.nanoTime() - t0) / 1e9;
    assertThat(r.exitCode()).as(stage + ": " + r.out() + r.err()).isZero();
    return s;
  }

  /** Runs {@code body} on a fresh thread (as a task's model thread is) and returns its seconds. */
  private static double onThread(ThrowingRunnable body) throws Exception {
    double[] seconds = new double[1];
    Throwable[] failure = new Throwable[1];
    Thread t = new Thread(() -> {
      try {
        long t0 = System.nanoTime();
        body.run();
        seconds[0] = (System.nanoTime() - t0) / 1e9;
      } catch (Throwable e) {
        failure[0] = e;
      }
    }, "model-only-loop");
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError("model-only loop failed", failure[0]);
    }
    return seconds[0];
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void stagesAgainstModelOnlyLoops(@TempDir Path tmp) throws Exception {
    // Warm-up on 2 prompts (model loads, JIT, Spark code paths); its stage times bound the fixed costs.
    Path warm = conf(tmp.resolve("warm"), 2);
    Map<String, Double> fixed = new HashMap<>();
    for (String s : List.of("generate", "caption", "segment")) {
      fixed.put(s, stage(warm, s, 0));
    }

    Path conf = conf(tmp.resolve("bench"), PROMPTS);
    RoundTables tables = new RoundTables(spark, tmp.resolve("bench/run").toUri().toString(), "bench");
    Map<String, Double> stageSeconds = new HashMap<>();
    stageSeconds.put("generate", stage(conf, "generate", 0));
    // Caption's inputs in round 1, segment's in round 2: the generated images under new keys.
    List<Row> generated = tables.read(Tables.SAMPLES, 0, "bench").select("prompt_id", "sample_idx", "prompt", "image.bytes")
        .orderBy("prompt_id", "sample_idx").collectAsList();
    assertThat(generated).hasSize(PROMPTS * PER_PROMPT);
    Map<String, Integer> sizes = Map.of("caption", CAPTION_IMAGES, "segment", SEGMENT_IMAGES);
    Map<String, Integer> rounds = Map.of("caption", 1, "segment", 2);
    for (String s : List.of("caption", "segment")) {
      List<SampleFixtures.Sample> inputs = new ArrayList<>();
      for (int i = 0; i < sizes.get(s); i++) {
        Row g = generated.get(i % generated.size());
        inputs.add(new SampleFixtures.Sample(g.getString(0), g.getInt(1) + PER_PROMPT * (i / generated.size()),
            g.getString(2), (byte[]) g.get(3)));
      }
      SampleFixtures.write(spark, tables, rounds.get(s), inputs);
      stageSeconds.put(s, stage(conf, s, rounds.get(s)));
    }

    Config config = new PipelineConfigLoader().load(conf.toString(), List.of());
    ModelRuntime runtime = ModelRuntime.from(config);
    GenerateConfig generate = GenerateConfig.from(PipelineConfigLoader.section(config, GenerateConfig.SECTION));
    CaptionConfig caption = CaptionConfig.from(PipelineConfigLoader.section(config, CaptionConfig.SECTION));
    SegmentConfig segment = SegmentConfig.from(PipelineConfigLoader.section(config, SegmentConfig.SECTION));
    List<Row> captionSamples = tables.read(Tables.SAMPLES, 1, "bench").select("prompt_id", "sample_idx", "prompt", "image.bytes")
        .orderBy("prompt_id", "sample_idx").collectAsList();
    List<Row> segmentSamples = tables.read(Tables.SAMPLES, 2, "bench").select("prompt_id", "sample_idx", "prompt", "image.bytes")
        .orderBy("prompt_id", "sample_idx").collectAsList();
    Map<String, String> stageCaptions = new HashMap<>();
    for (Row r : tables.read(Tables.CAPTIONS, 1, "bench").collectAsList()) {
      stageCaptions.put(r.<String>getAs("prompt_id") + "/" + r.<Integer>getAs("sample_idx"), r.getAs("caption"));
    }
    Map<String, Integer> stageParts = new HashMap<>();
    for (Row r : tables.read(Tables.SEGMENTS, 2, "bench").collectAsList()) {
      stageParts.put(r.<String>getAs("prompt_id") + "/" + r.<Integer>getAs("sample_idx"), r.getAs("n_parts"));
    }

    // Pre-made inputs: sample keys for generate, decoded images for caption and segment.
    List<SampleGeneration.Sample> keys = new ArrayList<>();
    for (Row r : generated) {
      keys.add(new SampleGeneration.Sample(0, r.getString(0), r.getInt(1), r.getString(2)));
    }
    List<CaptionInput> captionInputs = captionSamples.stream()
        .map(r -> new CaptionInput(r.getString(2), (byte[]) r.get(3))).toList();
    List<CaptionRewardRunner.DecodedBatch> decodedBatches = new ArrayList<>();
    for (int i = 0; i < captionInputs.size(); i += caption.batchSize()) {
      decodedBatches.add(CaptionRewardRunner.decode(
          captionInputs.subList(i, Math.min(captionInputs.size(), i + caption.batchSize()))));
    }
    List<ImageSegmenter.Decoded> decodedImages = segmentSamples.stream()
        .map(r -> ImageSegmenter.decode((byte[]) r.get(3))).toList();

    Map<String, Double> loopSeconds = new HashMap<>();
    loopSeconds.put("generate", onThread(() -> {
      try (DiffusionComponents c = DiffusionComponents.open(runtime.directory("diffusion"), Device.cpu(),
          runtime.models().dtype(), null)) {
        var it = keys.iterator();
        for (List<SampleGeneration.Sample> b = SampleGeneration.nextBatch(it, generate); !b.isEmpty();
            b = SampleGeneration.nextBatch(it, generate)) {
          SampleGeneration.generate(c.sampler(), generate, 1L, b, false);
        }
      }
    }));
    List<String> loopCaptions = new ArrayList<>();
    loopSeconds.put("caption", onThread(() -> {
      try (CaptionRewardRunner runner = CaptionRewardRunner.open(runtime, List.of(), caption)) {
        for (CaptionRewardRunner.DecodedBatch b : decodedBatches) {
          runner.run(b).forEach(c -> loopCaptions.add(c.caption()));
        }
      }
    }));
    List<Integer> loopParts = new ArrayList<>();
    loopSeconds.put("segment", onThread(() -> {
      try (ImageSegmenter segmenter = ImageSegmenter.open(runtime, segment, List.of())) {
        for (ImageSegmenter.Decoded d : decodedImages) {
          ImageSegmenter.Result r = segmenter.segment(d);
          loopParts.add(r.parts() == null ? 0 : r.parts().size());
        }
      }
    }));

    // The stages computed what the loops computed (same model calls; batch invariance is tested elsewhere).
    assertThat(loopCaptions).hasSize(CAPTION_IMAGES);
    for (int i = 0; i < CAPTION_IMAGES; i++) {
      String key = captionSamples.get(i).getString(0) + "/" + captionSamples.get(i).getInt(1);
      assertThat(stageCaptions.get(key)).as("caption of %s", key).isEqualTo(loopCaptions.get(i));
    }
    assertThat(loopParts).hasSize(SEGMENT_IMAGES);
    for (int i = 0; i < SEGMENT_IMAGES; i++) {
      String key = segmentSamples.get(i).getString(0) + "/" + segmentSamples.get(i).getInt(1);
      assertThat(stageParts.get(key)).as("parts of %s", key).isEqualTo(loopParts.get(i));
    }
    Map<String, Integer> counts = Map.of("generate", PROMPTS * PER_PROMPT, "caption", CAPTION_IMAGES,
        "segment", SEGMENT_IMAGES);

    StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
        "BENCHMARK overlap inside a task: tiny models, images 64x64, %d DDIM steps, generate/caption batch %d/%d,"
            + " segment 1 image per model call, local[1] vs one loop thread, %d cores, ai.djl.pytorch.num_threads=%s%n",
        STEPS, BATCH, caption.batchSize(), Runtime.getRuntime().availableProcessors(),
        System.getProperty("ai.djl.pytorch.num_threads", "(default)")));
    for (String s : List.of("generate", "caption", "segment")) {
      double st = stageSeconds.get(s);
      double lp = loopSeconds.get(s);
      int n = counts.get(s);
      report.append(String.format(Locale.ROOT,
          "  %-8s %5d images: stage %7.2f s %7.2f img/s | model-only loop %7.2f s %7.2f img/s | ratio %.3f | warm-up stage (2 prompts,"
              + " bounds fixed costs) %.2f s = %.1f%% of the stage%n",
          s, n, st, n / st, lp, n / lp, lp / st, fixed.get(s), 100 * fixed.get(s) / st));
    }
    System.out.print(report);
  }
}
