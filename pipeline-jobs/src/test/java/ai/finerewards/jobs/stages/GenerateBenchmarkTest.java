package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.diffusion.DiffusionComponents;
import ai.finerewards.core.diffusion.EmptyPromptPolicy;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.diffusion.GenerationSettings;
import ai.finerewards.core.diffusion.SampleGeneration;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images per second on the tiny model (64x64, 10 DDIM steps, guidance 7.5, batch 8): the generate
 * stage in local[2] (prompt ingest, shuffle, two tasks, Parquet commit) against a plain loop over the
 * same samples and batch size in one thread of one JVM, printed as a ratio. Models are loaded and
 * warmed before either is timed. Run: mvn -o -q -Pbench -pl pipeline-jobs -am test -Dtest=GenerateBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false
 */
@Tag("benchmark")
class GenerateBenchmarkTest {
  private static final int PROMPTS = 16;
  private static final int PER_PROMPT = 4;
  private static final int BATCH = 8;
  private static final int STEPS = 10;

  @Test
  void stageThroughputAgainstAPlainLoop(@TempDir Path tmp) throws Exception {
    Path model = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize()
        .resolve("models/tiny/diffusion");
    StringBuilder text = new StringBuilder();
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < PROMPTS; i++) {
      prompts.add("a photo of object number " + i + " on a wooden table");
      text.append(prompts.get(i)).append('\n');
    }
    Files.writeString(tmp.resolve("prompts.txt"), text, StandardCharsets.UTF_8);
    String extra = "finerewards.prompts.path = \"" + tmp.resolve("prompts.txt") + "\"\n"
        + "finerewards.models.diffusion = \"" + model + "\"\n"
        + "finerewards.generate { height = 64, width = 64, steps = " + STEPS + ", samples-per-prompt = " + PER_PROMPT
        + ", batch-size = " + BATCH + ", scheduler = ddim }\n";
    Path conf = RunFixtures.conf(tmp, extra);
    int images = PROMPTS * PER_PROMPT;

    SparkSession spark = SparkSession.builder().master("local[2]").appName("generate-bench")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2").getOrCreate();
    double stageSeconds;
    try {
      assertThat(RunFixtures.cli(spark, "generate", "--conf", conf.toString()).exitCode()).isZero(); // warm-up, loads
      long t0 = System.nanoTime();
      CliResult r = RunFixtures.cli(spark, "generate", "--conf", conf.toString(), "--round", "1");
      stageSeconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      assertThat(r.out()).contains(images + " images");
    } finally {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }

    ModelDirectory dir = ModelDirectory.resolve(model.toString(), "diffusion", ModelCacheConfig.defaults(), new Configuration());
    GenerateConfig config = new GenerateConfig(PER_PROMPT, BATCH,
        new GenerationSettings("ddim", STEPS, 7.5, 64, 64, ""), EmptyPromptPolicy.SKIP);
    // The loop runs on a fresh thread, as Spark tasks do. On a busy 2-core machine, libtorch's default of 2
    // intra-op (OpenMP) threads made this loop ~20x slower than with -Dai.djl.pytorch.num_threads=1: compare
    // both settings when reading the figures.
    double[] loopSeconds = new double[1];
    int[] producedBox = new int[1];
    Throwable[] failure = new Throwable[1];
    Thread loop = new Thread(() -> {
      try (DiffusionComponents components = DiffusionComponents.open(dir, Device.cpu(), "auto", null)) {
        List<SampleGeneration.Sample> samples = new ArrayList<>();
        for (int p = 0; p < PROMPTS; p++) {
          for (int s = 0; s < PER_PROMPT; s++) {
            samples.add(new SampleGeneration.Sample(1, "p" + p, s, prompts.get(p)));
          }
        }
        SampleGeneration warm = new SampleGeneration(samples.subList(0, BATCH).iterator(), config, 1L, components.sampler(), () -> {}, () -> {});
        warm.forEachRemaining(r -> {});
        long t0 = System.nanoTime();
        SampleGeneration gen = new SampleGeneration(samples.iterator(), config, 1L, components.sampler(), () -> {}, () -> {});
        while (gen.hasNext()) {
          if (gen.next().image().png().length > 0) {
            producedBox[0]++;
          }
        }
        loopSeconds[0] = (System.nanoTime() - t0) / 1e9;
      } catch (Throwable t) {
        failure[0] = t;
      }
    }, "plain-loop");
    loop.start();
    loop.join();
    assertThat(failure[0]).isNull();
    int produced = producedBox[0];
    assertThat(produced).isEqualTo(images);
    double stageRate = images / stageSeconds;
    double loopRate = images / loopSeconds[0];
    System.out.printf("BENCHMARK generate, tiny model 64x64, %d DDIM steps, guidance 7.5, batch %d, %d images, CPU %d cores,"
            + " ai.djl.pytorch.num_threads=" + System.getProperty("ai.djl.pytorch.num_threads", "(default)") + ":%n"
            + "  stage local[2]: %.2f s, %.2f images/s (incl. prompt ingest, shuffle, Parquet commit)%n"
            + "  plain loop, 1 task thread: %.2f s, %.2f images/s%n  ratio stage/loop: %.2f%n",
        STEPS, BATCH, images, Runtime.getRuntime().availableProcessors(), stageSeconds, stageRate, loopSeconds[0], loopRate,
        stageRate / loopRate);
  }
}
