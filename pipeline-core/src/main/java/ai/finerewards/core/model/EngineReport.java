package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import ai.finerewards.core.config.ModelsConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code finerewards doctor} prints: the libtorch and JNI this JVM loads under the
 * configuration, the GPUs the engine sees, and the device and dtype each model family would get
 * (for a task that was given no GPU address: the driver in local mode). It starts the engine the
 * way a task does ({@link ModelRuntime#device}), so what it prints is what a stage would use.
 */
public final class EngineReport {
  /** Named reasons for a failed report (the first word of the FAIL line, for scripts). */
  public static final String LIBTORCH = "libtorch-unusable";
  public static final String NO_GPU = "no-gpu-visible";
  public static final String DEVICE = "device-unusable";

  private EngineReport() {}

  /**
   * Prints the report to {@code out}; returns empty when every family can run, else the failure's
   * reason ({@link #LIBTORCH}, {@link #NO_GPU} or {@link #DEVICE}) after printing a
   * {@code FAIL <reason>: <message>} line.
   */
  public static Optional<String> print(ModelsConfig models, PrintStream out) {
    String plan;
    try {
      plan = models.libtorch().check();
    } catch (ModelError e) {
      return fail(out, LIBTORCH, e.getMessage());
    }
    out.println("libtorch (configured): " + plan);
    Device device;
    String deviceError = null;
    try {
      device = new ModelRuntime(models, null).device(List.of());
    } catch (ModelError e) {
      device = null;
      deviceError = e.getMessage();
    }
    Engine engine = Engine.getEngine("PyTorch");
    out.println("libtorch (loaded): " + loaded("libtorch.so").orElse("(not in /proc/self/maps)")
        + ", torch " + engine.getVersion() + ", flavour " + flavour(models));
    out.println("JNI: " + loaded("libdjl_torch.so").orElse("(not in /proc/self/maps)"));
    EngineThreads threads = EngineThreads.current();
    out.println("threads: intra-op " + threads.intraOp() + ", inter-op " + threads.interOp());
    int gpus = engine.getGpuCount();
    out.println("GPUs visible: " + gpus + (gpus > 0 ? " (CUDA " + CudaUtils.getCudaVersionString() + ")"
        : engine.hasCapability("CUDA") ? "" : " (this libtorch has no CUDA)"));
    for (int i = 0; i < gpus; i++) {
      MemoryUsage mem = CudaUtils.getGpuMemory(Device.gpu(i));
      out.println("  gpu(" + i + "): compute capability " + CudaUtils.getComputeCapability(i) + ", "
          + (mem.getMax() >> 20) + " MiB, " + (mem.getUsed() >> 20) + " MiB used");
    }
    for (String family : ModelsConfig.FAMILIES) {
      out.println("model " + family + ": device " + (device == null ? "none" : device)
          + ", dtype " + models.dtype() + " (" + models.directory(family) + ")");
    }
    if (deviceError != null) {
      return fail(out, gpus == 0 && "gpu".equals(models.device()) ? NO_GPU : DEVICE, deviceError);
    }
    return Optional.empty();
  }

  private static Optional<String> fail(PrintStream out, String reason, String message) {
    out.println("FAIL " + reason + ": " + message);
    return Optional.of(reason);
  }

  private static String flavour(ModelsConfig models) {
    if (models.libtorch().installed()) {
      return models.libtorch().flavor();
    }
    String dir = loaded("libtorch.so").orElse("");
    // The native jar's libraries are extracted to <cache>/pytorch/<version>[-<build date>]-<flavour>-<os>/.
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("/[0-9.]+(?:-[0-9]+)?-([a-z0-9]+)-linux-").matcher(dir);
    return m.find() ? m.group(1) : "unknown";
  }

  /** The path of the loaded shared library whose file name ends with {@code name}. */
  static Optional<String> loaded(String name) {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return Optional.empty();
    }
    List<String> hits = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(maps)) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.endsWith(name) && !hits.contains(line.substring(slash))) {
          hits.add(line.substring(slash));
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return hits.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", hits));
  }
}
