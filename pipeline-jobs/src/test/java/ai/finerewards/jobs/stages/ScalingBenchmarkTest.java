package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.io.RoundTables;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How stage cost grows with work and with parallelism: rows/s of generate, caption, segment, score
 * and train on the tiny models at 1, 2 and 4 partitions (a {@code local[N]} session with N task
 * threads and N partitions) and 1x, 2x and 4x input sizes, printed as one table with the CPU's flags
 * and the load average before and after (figures from a loaded machine are not comparable).
 *
 * <p>Sizes: 1x is 4 prompts x 2 samples = 8 images (64x64, 10 DPM-Solver++ steps, the demo's
 * settings otherwise), 2x and 4x double and quadruple the prompts. Every cell runs the stages one
 * after another through the CLI on a fresh run root (rank runs untimed between score and train);
 * the models are loaded and warmed once before the first timed cell. Expected run time on an idle
 * 2-core machine, about 6 minutes: 28 cells x 6 stage runs x about 2 s of Spark's fixed costs (job
 * planning, fingerprints, Parquet commit), plus about 1 minute of model work (21 x 8 images through
 * every stage at roughly 9 generated, 12 segmented, 40 captioned images/s per task thread, the
 * tiny models' earlier figures). Larger sizes would take longer without changing the picture: the
 * 1x column is dominated by fixed costs, the 4x column increasingly by model work. A smoke run of
 * one cell took 193 s (warm-up included) at a load average of 17-21.
 *
 * <p>Run (the coordinator, on an idle machine):
 * {@code mvn -B -ntp -o -q -Pbench -pl pipeline-jobs -am test -Dtest=ScalingBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 * A smoke run: add {@code -Dfinerewards.bench.partitions=1 -Dfinerewards.bench.sizes=1}.
 */
@Tag("benchmark")
class ScalingBenchmarkTest {
  static final int BASE_PROMPTS = Integer.getInteger("finerewards.bench.base-prompts", 4);
  static final List<String> STAGES = List.of("generate", "caption", "segment", "score", "train");
  /** What one output row of each stage is. */
  static final Map<String, String> UNITS = Map.of("generate", "images", "caption", "images", "segment", "images",
      "score", "images", "train", "optimiser steps");

  static Path repo() {
    return Path.of(System.getProperty("finerewards.repo.root", "..")).toAbsolutePath().normalize();
  }

  static List<Integer> ints(String property, String dflt) {
    return Arrays.stream(System.getProperty(property, dflt).split(",")).map(String::trim).map(Integer::parseInt).toList();
  }

  @Test
  void rowsPerSecondByPartitionsAndInputSize(@TempDir Path tmp) throws Exception {
    List<Integer> partitions = ints("finerewards.bench.partitions", "1,2,4");
    List<Integer> sizes = ints("finerewards.bench.sizes", "1,2,4");
    String loadBefore = loadAverage();
    long start = System.nanoTime();
    // cell key "N/size" -> stage -> {rows, seconds}
    Map<String, Map<String, double[]>> cells = new LinkedHashMap<>();
    boolean warmed = false;
    for (int n : partitions) {
      SparkSession spark = SparkSession.builder().master("local[" + n + "]").appName("scaling-bench")
          .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", String.valueOf(n))
          .config("spark.default.parallelism", String.valueOf(n)).config("spark.sql.session.timeZone", "UTC")
          .getOrCreate();
      try {
        if (!warmed) {
          runCell(spark, tmp.resolve("warm"), 1); // loads every model once and warms TorchScript and the JIT
          warmed = true;
        }
        for (int size : sizes) {
          cells.put(n + "/" + size, runCell(spark, tmp.resolve("n" + n + "-x" + size), size));
        }
      } finally {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
      }
    }
    double total = (System.nanoTime() - start) / 1e9;
    System.out.print(table(partitions, sizes, cells, loadBefore, loadAverage(), total));
  }

  /** Runs every stage once for round 0 under {@code dir}; per stage {output rows, seconds}. */
  static Map<String, double[]> runCell(SparkSession spark, Path dir, int size) throws IOException {
    Files.createDirectories(dir);
    Path prompts = dir.resolve("prompts.txt");
    List<String> demo = Files.readAllLines(repo().resolve("conf/demo/prompts.txt")).stream().filter(s -> !s.isBlank()).toList();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < BASE_PROMPTS * size; i++) {
      lines.add(demo.get(i % demo.size()) + (i < demo.size() ? "" : " (variant " + i / demo.size() + ")"));
    }
    Files.write(prompts, lines);
    // The demo's settings (conf/local.conf), with the repository's paths made absolute.
    List<String> args = new ArrayList<>(List.of("--conf", repo().resolve("conf/local.conf").toString()));
    List<String> sets = new ArrayList<>(List.of("run.root=\"" + dir.resolve("run").toUri() + "\"",
        "prompts.path=\"" + prompts + "\"", "generate.samples-per-prompt=2", "train.steps-per-sample=2",
        "jobs.progress-interval=10s"));
    for (String family : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      sets.add("models." + family + "=\"" + repo().resolve("models/tiny/" + family) + "\"");
    }
    for (String set : sets) {
      args.add("--set");
      args.add(set);
    }
    RoundTables tables = new RoundTables(spark, dir.resolve("run").toUri().toString(), "bench");
    Map<String, double[]> out = new LinkedHashMap<>();
    for (String stage : List.of("generate", "caption", "segment", "score", "rank", "train")) {
      long t0 = System.nanoTime();
      List<String> call = new ArrayList<>(List.of(stage, "--round", "0"));
      call.addAll(args);
      CliResult r = RunFixtures.cli(spark, call.toArray(String[]::new));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(stage + ": " + r.out() + r.err()).isZero();
      String table = ai.finerewards.core.run.Stage.fromCliName(stage).orElseThrow().outputTable();
      CommitMarker m = tables.store().committed(table, 0).orElseThrow();
      assertThat(m.rowCount()).as(stage + " rows").isPositive();
      out.put(stage, new double[] {m.rowCount(), seconds});
    }
    return out;
  }

  static String table(List<Integer> partitions, List<Integer> sizes, Map<String, Map<String, double[]>> cells,
      String loadBefore, String loadAfter, double totalSeconds) throws IOException {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "%nBENCHMARK scaling (tiny models, 64x64, 10 steps; 1x = %d prompts x 2 samples; rows/s = output rows / stage"
            + " wall time incl. Spark's fixed costs)%n", BASE_PROMPTS));
    s.append("CPU: ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores visible; SIMD flags: ").append(cpuFlags()).append('\n');
    s.append("load average (1, 5, 15 min): before ").append(loadBefore).append(", after ").append(loadAfter).append('\n');
    s.append(String.format(Locale.ROOT, "%-9s %-16s", "stage", "unit"));
    for (int n : partitions) {
      for (int size : sizes) {
        s.append(String.format(Locale.ROOT, " %12s", "P=" + n + " " + size + "x"));
      }
    }
    s.append('\n');
    for (String stage : STAGES) {
      s.append(String.format(Locale.ROOT, "%-9s %-16s", stage, UNITS.get(stage) + "/s"));
      for (int n : partitions) {
        for (int size : sizes) {
          double[] c = cells.get(n + "/" + size).get(stage);
          s.append(String.format(Locale.ROOT, " %12s", String.format(Locale.ROOT, "%.2f (%d)", c[0] / c[1], (long) c[0])));
        }
      }
      s.append('\n');
    }
    s.append("(in brackets: output rows of the cell)\n");
    s.append(String.format(Locale.ROOT, "total %.0f s including the warm-up cell%n", totalSeconds));
    return s.toString();
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  static String cpuModel() throws IOException {
    Path info = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(info)) {
      return System.getProperty("os.arch");
    }
    return Files.readAllLines(info).stream().filter(l -> l.startsWith("model name")).findFirst()
        .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(System.getProperty("os.arch"));
  }

  /** The vector-instruction flags libtorch's kernels choose by (sse4_2, avx*, fma, f16c, amx*, ...). */
  static String cpuFlags() throws IOException {
    Path info = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(info)) {
      return "(unknown)";
    }
    TreeSet<String> flags = new TreeSet<>();
    Files.readAllLines(info).stream().filter(l -> l.startsWith("flags")).findFirst().ifPresent(l -> {
      for (String f : l.substring(l.indexOf(':') + 1).trim().split("\\s+")) {
        if (f.startsWith("avx") || f.startsWith("amx") || f.equals("fma") || f.equals("f16c") || f.equals("sse4_2")) {
          flags.add(f);
        }
      }
    });
    return String.join(" ", flags);
  }
}
