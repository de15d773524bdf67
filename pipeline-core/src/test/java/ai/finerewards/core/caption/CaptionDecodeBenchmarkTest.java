package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, item 1: Java KV-cached greedy decoding vs transformers' {@code generate} (with its
 * cache) on the same mid-size random-weight BLIP-2 (OPT-125m-shaped LM: 12 layers, hidden 768,
 * vocabulary 50272; 32 query tokens), one intra-op thread on both sides, on this machine, one run.
 *
 * <p>At bench time it exports the model with the exporter venv ({@code bin/python-env}) into a
 * temporary directory ({@code python -m finerewards_export.bench_captioner}, which also times
 * {@code generate} on the same weights and pixels and writes the ids), then times
 * {@link Blip2Captioner#generate} on the export. Both sides time whole captions of one image
 * (vision prefix, prefill, up to 30 decode steps) after one warm-up image, the Java side on a
 * fresh thread as a Spark task; the tokens/s are new tokens over those seconds. Prints the ratio, the CPU's SIMD flags and the load average, which the
 * figures depend on. Run it on an otherwise idle machine (docs/performance.md):
 *
 * <pre>mvn -B -ntp -o -q -pl pipeline-core -am test -Pbench -Dtest=CaptionDecodeBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@Tag("benchmark")
class CaptionDecodeBenchmarkTest {
  private static final int IMAGES = Integer.getInteger("finerewards.bench.caption-images", 4);
  private static final int MAX_NEW_TOKENS = 30;

  @Test
  void javaKvCachedDecodingVersusTransformersGenerate() throws Exception {
    Path repo = Paths.get(System.getProperty("finerewards.repo.root", "..")).toAbsolutePath().normalize();
    Path tmp = Files.createTempDirectory("finerewards-caption-bench");
    try {
      String load0 = loadAverage();
      long t0 = System.nanoTime();
      String venv = run(repo, List.of(repo.resolve("bin/python-env").toString())).strip();
      String[] lines = venv.split("\n");
      Path python = Paths.get(lines[lines.length - 1].strip(), "bin", "python");
      run(repo.resolve("exporter"), List.of(python.toString(), "-W", "ignore", "-m",
          "finerewards_export.bench_captioner", "--out", tmp.toString(), "--images", String.valueOf(IMAGES),
          "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS)));
      JsonObject ref = JsonParser.parseString(Files.readString(tmp.resolve("reference.json"))).getAsJsonObject();
      double pythonSetup = (System.nanoTime() - t0) / 1e9;

      long[] shape = longs(ref.getAsJsonArray("pixel_shape"));
      JsonArray px = ref.getAsJsonArray("pixel_values");
      float[] pixels = new float[px.size()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = px.get(i).getAsFloat();
      }
      int perImage = (int) (shape[1] * shape[2] * shape[3]);
      ModelDirectory dir = ModelDirectory.resolve(tmp.resolve("captioner").toString(), "captioner",
          ModelCacheConfig.defaults(), new Configuration());
      // On a fresh thread, as Spark runs tasks: DJL applies surefire's graph_optimizer=false only to
      // the thread that created the engine (docs/segment-score.md, "Observation").
      double[] javaSeconds = new double[(int) shape[0]];
      int[] counts = new int[2]; // tokens after the warm-up image, images with generate's ids
      long t1 = System.nanoTime();
      java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        worker.submit(() -> {
          try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
            assertThat(c.usesKvCache()).isTrue();
            for (int i = 0; i < shape[0]; i++) { // image 0 warms up, as on the Python side
              HostTensor one = HostTensor.ofFloats(Arrays.copyOfRange(pixels, i * perImage, (i + 1) * perImage),
                  1, shape[1], shape[2], shape[3]);
              long s = System.nanoTime();
              long[] ids = c.generate(one, MAX_NEW_TOKENS, c.generation())[0];
              javaSeconds[i] = (System.nanoTime() - s) / 1e9;
              if (i > 0) {
                counts[0] += ids.length - 1;
              }
              if (Arrays.equals(ids, longs(ref.getAsJsonArray("ids").get(i).getAsJsonArray()))) {
                counts[1]++;
              }
            }
          }
          return null;
        }).get();
      } finally {
        worker.shutdown();
        ModelCache.get().closeAll();
      }
      int javaTokens = counts[0];
      int sameIds = counts[1];
      double javaSetup = (System.nanoTime() - t1) / 1e9 - Arrays.stream(javaSeconds).sum();
      double[] pySeconds = doubles(ref.getAsJsonArray("seconds"));
      int pyTokens = 0;
      for (int i = 1; i < shape[0]; i++) {
        pyTokens += ref.getAsJsonArray("ids").get(i).getAsJsonArray().size() - 1;
      }
      double javaTimed = Arrays.stream(javaSeconds).skip(1).sum();
      double pyTimed = Arrays.stream(pySeconds).skip(1).sum();
      double javaRate = javaTokens / javaTimed;
      double pyRate = pyTokens / pyTimed;
      System.out.printf(Locale.ROOT, "BENCHMARK caption decoding, random BLIP-2 with an OPT-125m-shaped LM "
              + "(12 layers, hidden 768, vocab 50272, Q=32), batch 1, max %d new tokens, 1 intra-op thread each:%n"
              + "  transformers %s generate (KV cache, eager attention): %d tokens in %.2f s = %.2f tokens/s "
              + "(warm-up %.2f s; export + load %.0f s)%n"
              + "  Java DJL lm_cached.pt:                 %d tokens in %.2f s = %.2f tokens/s (warm-up %.2f s, "
              + "load %.1f s)%n"
              + "  ratio Java / transformers = %.3f (goal >= 0.9); ids equal to generate's on %d of %d images%n"
              + "  CPU: %s%n  load average before: %s, after: %s%n",
          MAX_NEW_TOKENS, ref.get("torch").getAsString(), pyTokens, pyTimed, pyRate, pySeconds[0], pythonSetup,
          javaTokens, javaTimed, javaRate, javaSeconds[0], javaSetup, javaRate / pyRate, sameIds, shape[0],
          cpu(), load0, loadAverage());
      assertThat(javaTokens).isPositive();
      assertThat(pyTokens).isPositive();
    } finally {
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Runs a command in {@code cwd}, its stderr shown, and returns its stdout; fails on a nonzero exit. */
  private static String run(Path cwd, List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    System.out.print(out);
    assertThat(rc).as("exit status of %s (in %s)", command, cwd).isZero();
    return out;
  }

  private static String loadAverage() throws IOException {
    Path f = Paths.get("/proc/loadavg");
    return Files.isReadable(f) ? Files.readString(f).strip() : "unknown (no /proc/loadavg)";
  }

  /** The CPU model and its SIMD flags (what picks libtorch's kernels), from /proc/cpuinfo. */
  private static String cpu() throws IOException {
    Path f = Paths.get("/proc/cpuinfo");
    if (!Files.isReadable(f)) {
      return "unknown (no /proc/cpuinfo)";
    }
    List<String> lines = Files.readAllLines(f);
    String model = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
        .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
    String flags = lines.stream().filter(l -> l.startsWith("flags")).findFirst()
        .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).strip().split(" "))
            .filter(x -> x.startsWith("avx") || x.startsWith("fma") || x.startsWith("amx") || x.startsWith("sse4"))
            .collect(Collectors.joining(" ")))
        .orElse("?");
    return model + ", " + Runtime.getRuntime().availableProcessors() + " cores, flags: " + flags;
  }

  private static long[] longs(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsLong();
    }
    return out;
  }

  private static double[] doubles(JsonArray a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsDouble();
    }
    return out;
  }
}
