package ai.finerewards.core.devicecheck;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.GoldenCases;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelManifest;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every golden case of every model directory under a root (models/tiny), run through the
 * project's own model cache and translator on one device, compared with its tolerance there
 * ({@link GoldenTolerance}). Part (a) of the device check; on the CPU, the same cases as
 * ExportedModelsLoadTest's signature-named ones.
 */
public final class DeviceGoldens {
  /** One output of one case: the largest absolute difference and whether it is within tolerance. */
  public record Result(String family, String component, String golden, String output, double maxAbs,
      GoldenTolerance tolerance, boolean ok) {
    @Override
    public String toString() {
      return String.format("%s %s/%s %s:%s max|d| %.3g (atol %.0e rtol %.0e)", ok ? "ok  " : "FAIL", family,
          component, golden, output, maxAbs, tolerance.atol(), tolerance.rtol());
    }
  }

  private DeviceGoldens() {}

  /** Runs every case under {@code root} on {@code device}, printing one line per output. */
  public static List<Result> run(Path root, Device device, PrintStream out) throws Exception {
    List<Result> results = new ArrayList<>();
    List<Path> dirs;
    try (var s = Files.list(root)) {
      dirs = s.filter(d -> Files.isRegularFile(d.resolve(ModelManifest.FILE))).sorted().toList();
    }
    if (dirs.isEmpty()) {
      throw new IllegalArgumentException("no model directories (with " + ModelManifest.FILE + ") under " + root);
    }
    for (Path dir : dirs) {
      // A local path: no Hadoop configuration is needed (the device bundle carries no Hadoop).
      ModelDirectory md = ModelDirectory.resolve(dir.toString(), null, ModelCacheConfig.defaults(), null);
      String family = md.manifest().family();
      GoldenTolerance tol = GoldenTolerance.of(family, device.isGpu());
      for (ModelManifest.Component c : md.manifest().components().values()) {
        for (GoldenCases gc : GoldenCases.of(md, c)) {
          Safetensors st = Safetensors.read(gc.golden());
          List<HostTensor> inputs = new ArrayList<>();
          for (ModelManifest.TensorSpec in : c.inputs()) {
            inputs.add(st.tensor(in.name()));
          }
          List<HostTensor> outputs;
          try (PredictorLease<List<HostTensor>, List<HostTensor>> p = ModelCache.get().predictor(
              TorchScriptModels.spec(md, c.name(), device, "auto", false),
              TensorTranslator.forDtype(md.manifest().dtype()))) {
            outputs = p.predict(inputs);
          }
          int i = 0;
          for (var e : gc.outputs().entrySet()) {
            Result r = compare(family, c.name(), gc.golden().getFileName().toString(), e.getValue(),
                outputs.get(i++), st.tensor(e.getValue()), tol);
            out.println(r);
            results.add(r);
          }
        }
      }
    }
    ModelCache.get().closeAll();
    return results;
  }

  static Result compare(String family, String component, String golden, String output, HostTensor actual,
      HostTensor expected, GoldenTolerance tol) {
    if (expected.dtype() == HostTensor.DType.INT64 && actual.dtype() == HostTensor.DType.INT32
        && java.util.Arrays.equals(actual.shape(), expected.shape())) {
      // A bool output (SAM's amg_postprocess masks) comes back as INT32; goldens store integers as
      // int64: compared by value, exactly.
      boolean same = java.util.Arrays.equals(
          java.util.Arrays.stream(actual.ints()).asLongStream().toArray(), expected.longs());
      return new Result(family, component, golden, output, same ? 0 : Double.POSITIVE_INFINITY, tol, same);
    }
    if (!java.util.Arrays.equals(actual.shape(), expected.shape()) || actual.dtype() != expected.dtype()) {
      return new Result(family, component, golden, output, Double.POSITIVE_INFINITY, tol, false);
    }
    if (expected.dtype() == HostTensor.DType.INT64) {
      boolean same = java.util.Arrays.equals(actual.longs(), expected.longs());
      return new Result(family, component, golden, output, same ? 0 : Double.POSITIVE_INFINITY, tol, same);
    }
    float[] a = actual.floats();
    float[] b = expected.floats();
    double maxAbs = 0;
    boolean ok = true;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      maxAbs = Double.isNaN(d) ? Double.NaN : Math.max(maxAbs, d);
      ok &= tol.excess(a[i], b[i]) <= 0; // false for NaN too
    }
    return new Result(family, component, golden, output, maxAbs, tol, ok);
  }
}
