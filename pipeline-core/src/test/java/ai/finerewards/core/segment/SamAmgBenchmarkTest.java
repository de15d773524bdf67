package ai.finerewards.core.segment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.EngineThreads;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 2: seconds per image of automatic mask generation on a random-weight SAM ViT-B
 * (SamConfig()'s defaults), Java with post-processing in the exported amg_postprocess graph vs
 * transformers' {@code pipeline("mask-generation")} on the same model, same CPU, one intra-op
 * thread each, one run. The model is exported at bench time by
 * {@code pipeline-core/src/test/python/sam_amg_bench.py} with the exporter's venv
 * ({@code bin/python-env}) into a temporary directory, deleted afterwards.
 *
 * <p>Defaults: 2 images of 512 x 512, a 32 x 32 grid, 64 points per decoder pass (both libraries'
 * default: 16 passes per image, and a pass's activations, 64 prompts x 256 channels x 64 x 64 plus
 * the 256 x 256 upscaled features, stay near 1.5 GB), pred-iou-thresh 0 so that both sides upscale
 * and score every one of the 3,072 candidates (the reference always does; at SAM's 0.88 the Java side
 * would skip the candidates a random model rejects), SAM's stability 0.95 / offset 1.0 and NMS 0.7.
 * Override with -Dfinerewards.bench.sam.{images,side,points-per-side,points-per-batch,pred-iou-thresh};
 * {@code -Dfinerewards.bench.sam.model=small} swaps in a 2-layer encoder at 256 x 256 input to check
 * the bench itself in a minute (its figures say nothing about ViT-B).
 * {@code -Dfinerewards.bench.sam.cpu-path=true} also times the Java CPU post-processing (the path of
 * model directories exported without amg_postprocess).
 *
 * <p>Run: {@code mvn -B -ntp -o -Pbench -pl pipeline-core -am test -Dtest=SamAmgBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class SamAmgBenchmarkTest {
  private static final String TORCHVISION = "torchvision==0.22.1"; // the release built for torch 2.7.1

  private static String prop(String key, String def) {
    return System.getProperty("finerewards.bench.sam." + key, def);
  }

  @Test
  void javaAmgSecondsPerImageVsTransformers() throws Exception {
    int images = Integer.parseInt(prop("images", "2"));
    int side = Integer.parseInt(prop("side", "512"));
    int perSide = Integer.parseInt(prop("points-per-side", "32"));
    int perBatch = Integer.parseInt(prop("points-per-batch", "64"));
    double predIou = Double.parseDouble(prop("pred-iou-thresh", "0.0"));
    boolean cpuPath = Boolean.parseBoolean(prop("cpu-path", "false"));
    String modelKind = prop("model", "vit-b");
    String load0 = loadAverage();
    Path repo = TinyModelFixtures.repoRoot();
    Path tmp = Files.createTempDirectory("sam-amg-bench-");
    long start = System.nanoTime();
    try {
      String venv = run(List.of(repo.resolve("bin/python-env").toString()), repo, Map.of()).trim();
      Path torchvision = torchvision(venv);
      run(List.of(venv + "/bin/python", repo.resolve("pipeline-core/src/test/python/sam_amg_bench.py").toString(),
              tmp.toString(), "--side", "" + side, "--images", "" + images, "--points-per-side", "" + perSide,
              "--points-per-batch", "" + perBatch, "--pred-iou-thresh", "" + predIou, "--model", modelKind),
          repo, Map.of("PYTHONPATH", repo.resolve("exporter") + ":" + torchvision));
      JsonObject ref = JsonParser.parseString(Files.readString(tmp.resolve("reference.json"))).getAsJsonObject();

      AmgSettings settings = new AmgSettings(perSide, perBatch, predIou, 0.95, 1.0, 0.0, 0.7, 0);
      new EngineThreads(1, 1).apply();
      ModelDirectory sam = ModelDirectory.resolve(tmp.resolve("segmenter").toString(), "segmenter",
          ModelCacheConfig.defaults(), new Configuration());
      // On a worker thread, as Spark runs tasks: DJL applies surefire's graph_optimizer=false to the
      // thread that created the engine only, which makes TorchScript there ~19x slower
      // (docs/segment-score.md, Benchmarks).
      ExecutorService worker = Executors.newSingleThreadExecutor();
      double[] java;
      int[] javaParts = new int[images];
      double[] cpu = null;
      try {
        java = worker.submit(() -> time(sam, settings, tmp, images, javaParts, true)).get(30, TimeUnit.MINUTES);
        if (cpuPath) {
          cpu = worker.submit(() -> time(sam, settings, tmp, images, new int[images], false)).get(30, TimeUnit.MINUTES);
        }
      } finally {
        worker.shutdownNow();
        ModelCache.get().closeAll();
      }

      JsonArray refImages = ref.getAsJsonArray("images");
      double refTotal = 0;
      double javaTotal = 0;
      StringBuilder per = new StringBuilder();
      for (int i = 0; i < images; i++) {
        JsonObject r = refImages.get(i).getAsJsonObject();
        refTotal += r.get("seconds").getAsDouble();
        javaTotal += java[i];
        // Part counts may differ by a candidate a traced and an eager forward put on either side of a
        // threshold; the parity tests check parts, this bench measures time.
        per.append(String.format("  image %d: Java %.2f s (%d parts), transformers %.2f s (%d masks)%s%n", i, java[i],
            javaParts[i], r.get("seconds").getAsDouble(), r.get("masks").getAsInt(),
            cpu == null ? "" : String.format(", Java CPU post-processing %.2f s", cpu[i])));
        assertThat(java[i]).as("Java seconds of image %d", i).isPositive();
        assertThat(r.get("seconds").getAsDouble()).as("transformers seconds of image %d", i).isPositive();
      }
      System.out.printf("BENCHMARK SAM AMG (random SAM %s), %d image(s) %dx%d, %dx%d grid,"
              + " %d points per pass, pred-iou-thresh %s, 1 intra-op thread each, DJL 0.36 / libtorch CPU vs"
              + " transformers %s / torch %s eager:%n%s"
              + "  Java %.2f s per image, transformers %.2f s per image: Java / transformers = %.2fx%n"
              + "  export %.0f s, whole bench %.0f s; load average before %s, after %s; %d cores; CPU flags: %s;"
              + " env MKL_CBWR=%s ATEN_CPU_CAPABILITY=%s ONEDNN_MAX_CPU_ISA=%s%n",
          "vit-b".equals(modelKind) ? "ViT-B, SamConfig() defaults" : modelKind + " (not ViT-B)", images, side, side,
          perSide, perSide, perBatch, predIou, transformersVersion(venv, repo),
          ref.get("torch").getAsString(), per, javaTotal / images, refTotal / images, javaTotal / refTotal,
          ref.get("export_seconds").getAsDouble(), (System.nanoTime() - start) / 1e9, load0, loadAverage(),
          Runtime.getRuntime().availableProcessors(), cpuFlags(), System.getenv("MKL_CBWR"),
          System.getenv("ATEN_CPU_CAPABILITY"), System.getenv("ONEDNN_MAX_CPU_ISA"));
    } finally {
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Seconds per image (PNG decode + generate), one run; parts counted into {@code parts}. */
  private static double[] time(ModelDirectory sam, AmgSettings settings, Path dir, int images, int[] parts,
      boolean onDevice) throws Exception {
    SamPreprocessor pre = SamPreprocessor.from(sam.manifest());
    try (PredictorLease<List<HostTensor>, List<HostTensor>> enc = ModelCache.get().predictor(
            TorchScriptModels.spec(sam, "image_encoder", Device.cpu(), "auto", false), new TensorTranslator());
        PredictorLease<List<HostTensor>, List<HostTensor>> dec = ModelCache.get().predictor(
            TorchScriptModels.spec(sam, "mask_decoder", Device.cpu(), "auto", false), new TensorTranslator());
        PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> devDec = SamAutomaticMaskGenerator.deviceDecoder(
            TorchScriptModels.spec(sam, "mask_decoder", Device.cpu(), "auto", false),
            TorchScriptModels.spec(sam, SamAutomaticMaskGenerator.POSTPROCESS_COMPONENT, Device.cpu(), "auto", false),
            sam.manifest().dtype(), settings)) {
      SamAutomaticMaskGenerator g = onDevice
          ? new SamAutomaticMaskGenerator(pre, settings, enc, null, devDec)
          : new SamAutomaticMaskGenerator(pre, settings, enc, dec);
      double[] seconds = new double[images];
      for (int i = 0; i < images; i++) {
        byte[] png = Files.readAllBytes(dir.resolve("image_" + i + ".png"));
        long t = System.nanoTime();
        RgbImage image = ImageDecoder.decode(png);
        parts[i] = g.generate(image).size();
        seconds[i] = (System.nanoTime() - t) / 1e9;
        System.out.printf("Java AMG (%s post-processing) image_%d.png: %.2f s, %d parts%n",
            onDevice ? "amg_postprocess graph" : "Java CPU", i, seconds[i], parts[i]);
      }
      return seconds;
    }
  }

  /**
   * A directory holding torchvision for the exporter's venv (transformers' AMG post-processing
   * needs its batched_nms; the exporter itself does not): installed once, without dependencies (the
   * venv's torch is the one it is built for), into the cache next to the venv.
   */
  private static Path torchvision(String venv) throws IOException, InterruptedException {
    Path dir = Path.of(System.getProperty("user.home"), ".cache/finerewards/tools",
        TORCHVISION.replace("==", "-"));
    Path python = Path.of(venv, "bin/python");
    if (!Files.isDirectory(dir.resolve("torchvision"))) {
      run(List.of(venv + "/bin/pip", "install", "--quiet", "--no-deps", "--target", dir.toString(), TORCHVISION),
          python.getParent(), Map.of());
    }
    return dir;
  }

  private static String transformersVersion(String venv, Path repo) throws IOException, InterruptedException {
    return run(List.of(venv + "/bin/python", "-c", "import transformers; print(transformers.__version__)"), repo,
        Map.of()).trim();
  }

  /** Runs a command, echoing its stderr, and returns its stdout; fails on a nonzero exit. */
  private static String run(List<String> cmd, Path dir, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    System.out.print(out.lines().filter(l -> !l.startsWith("/")).map(l -> l + "\n").reduce("", String::concat));
    assertThat(rc).as("exit status of %s", cmd).isZero();
    List<String> lines = new ArrayList<>(out.lines().toList());
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The SIMD flags that decide libtorch's kernels, from /proc/cpuinfo. */
  private static String cpuFlags() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      String flags = lines.filter(l -> l.startsWith("flags")).findFirst().orElse("");
      List<String> keep = new ArrayList<>();
      for (String f : flags.substring(flags.indexOf(':') + 1).trim().split(" ")) {
        if (f.startsWith("avx") || f.startsWith("amx") || f.equals("fma") || f.startsWith("sse4")) {
          keep.add(f);
        }
      }
      String model = Files.lines(Path.of("/proc/cpuinfo")).filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
      return model + " [" + String.join(" ", keep) + "]";
    } catch (IOException e) {
      return "unknown";
    }
  }
}
