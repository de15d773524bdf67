package ai.finerewards.jobs.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.caption.CaptionInput;
import ai.finerewards.core.caption.CaptionResult;
import ai.finerewards.core.caption.CaptionRewardRunner;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.caption.SampleFixtures.Sample;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captions per second on the tiny models: the caption stage through the CLI on local[2] (read
 * samples, mapPartitions, check, commit) against a plain single-threaded loop over the same
 * samples with the same core runner in this JVM. Both run warm (models already in the JVM cache);
 * each is timed on its second run. Prints the figures and the ratio; asserts only that both give
 * the same captions. Run with {@code mvn -o -q -pl pipeline-jobs -am test -Pbench
 * -Dtest=CaptionBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class CaptionBenchmarkTest extends SparkTestBase {
  private static final int PROMPTS = 64;
  private static final int PER_PROMPT = 4;
  private static final int SIZE = 64;

  @TempDir Path tmp;
  private static String lastStageOutput = "";

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  /** The plain loop: one runner, batches of batch-size, one thread; seconds taken. */
  private static double runLoop(ModelRuntime runtime, CaptionConfig caption, List<Sample> samples,
      Map<String, String> captions) {
    long t0 = System.nanoTime();
    try (CaptionRewardRunner runner = CaptionRewardRunner.open(runtime, List.of(), caption)) {
      for (int i = 0; i < samples.size(); i += caption.batchSize()) {
        List<Sample> batch = samples.subList(i, Math.min(samples.size(), i + caption.batchSize()));
        List<CaptionResult> results =
            runner.run(batch.stream().map(s -> new CaptionInput(s.prompt(), s.image())).toList());
        for (int k = 0; k < batch.size(); k++) {
          captions.put(batch.get(k).promptId() + "/" + batch.get(k).sampleIdx(), results.get(k).caption());
        }
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The stage through the CLI; seconds taken. */
  private static double runStage(Path conf) {
    long t0 = System.nanoTime();
    CliResult r = RunFixtures.cli(spark, "caption", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    lastStageOutput = r.out();
    return (System.nanoTime() - t0) / 1e9;
  }

  @Test
  void stageOnLocal2AgainstAPlainLoop() throws Exception {
    List<Sample> samples = new ArrayList<>();
    for (int p = 0; p < PROMPTS; p++) {
      for (int s = 0; s < PER_PROMPT; s++) {
        samples.add(new Sample("p" + p, s, "prompt number " + p + " with a cat", SampleFixtures.png(SIZE, SIZE, 7L * p + s)));
      }
    }
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "bench");
    SampleFixtures.write(spark, tables, 0, samples);
    Path conf = RunFixtures.conf(tmp, SampleFixtures.tinyModelsConf(tmp.resolve("models")));
    Config config = new PipelineConfigLoader().load(conf.toString(), List.of());
    CaptionConfig caption = CaptionConfig.from(PipelineConfigLoader.section(config, CaptionConfig.SECTION));
    ModelRuntime runtime = ModelRuntime.from(config);

    Map<String, String> loopCaptions = new HashMap<>();
    // Warm both paths once (model loads, TorchScript shape specialisation, Spark code paths), then
    // time loop, stage, loop, stage: the shared build machine is noisy, so both figures are printed.
    runLoop(runtime, caption, samples, loopCaptions);
    runStage(conf);
    List<Double> loop = new ArrayList<>();
    List<Double> stage = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      loop.add(runLoop(runtime, caption, samples, loopCaptions));
      stage.add(runStage(conf));
    }
    double loopSeconds = Math.min(loop.get(0), loop.get(1));
    double stageSeconds = Math.min(stage.get(0), stage.get(1));

    for (Row row : tables.read(Tables.CAPTIONS, 0, "caption").collectAsList()) {
      String key = row.<String>getAs("prompt_id") + "/" + row.<Integer>getAs("sample_idx");
      assertThat(row.<String>getAs("caption")).as(key).isEqualTo(loopCaptions.get(key));
    }
    System.out.print(lastStageOutput);
    int n = samples.size();
    System.out.printf(Locale.ROOT,
        "caption benchmark (tiny models, %d samples of %dx%d, batch %d, max-new-tokens %d, %d cores):%n"
            + "  plain loop, 1 thread : %.2f s (runs %s), %.1f captions/s%n"
            + "  stage on local[2]    : %.2f s (runs %s), %.1f captions/s%n"
            + "  ratio stage / loop   : %.2f (captions/s, best runs)%n",
        n, SIZE, SIZE, caption.batchSize(), caption.maxNewTokens(), Runtime.getRuntime().availableProcessors(),
        loopSeconds, loop, n / loopSeconds, stageSeconds, stage, n / stageSeconds, loopSeconds / stageSeconds);
  }
}
