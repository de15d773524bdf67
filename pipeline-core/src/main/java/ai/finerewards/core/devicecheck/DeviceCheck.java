package ai.finerewards.core.devicecheck;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.finerewards.core.model.EngineThreads;
import ai.finerewards.core.model.Libtorch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java side of {@code bin/gpu-check} (docs/gpu.md): runs inside the device bundle with its
 * jlinked JRE and trimmed class path (no Spark, no Hadoop), on the libtorch of an installed torch.
 *
 * <pre>
 * DeviceCheck [--libtorch-path DIR] [--flavor F] [--cuda-runtime-path DIR] [--cache-dir DIR] [--threads N] COMMAND
 *   goldens --models DIR --device cpu|gpu     part (a): every golden case, with the device's tolerance
 *   unet --file F --device cpu|gpu [--side 512] [--batch 8] [--steps 25]   part (c): images/s
 * </pre>
 *
 * Prints one line per result; exits 1 when a golden case is out of tolerance, 2 on bad arguments.
 */
public final class DeviceCheck {
  private DeviceCheck() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        if (i + 1 >= args.length) {
          usage("missing value for " + args[i]);
        }
        opts.put(args[i].substring(2), args[++i]);
      } else {
        rest.add(args[i]);
      }
    }
    if (rest.size() != 1) {
      usage("expected one command, got " + rest);
    }
    Libtorch libtorch = new Libtorch(opts.getOrDefault("libtorch-path", ""), "", opts.getOrDefault("flavor", "cpu"),
        opts.getOrDefault("cuda-runtime-path", ""), opts.getOrDefault("cache-dir", ""));
    System.out.println("libtorch: " + libtorch.check());
    libtorch.apply();
    int threads = Integer.parseInt(opts.getOrDefault("threads", "1"));
    new EngineThreads(threads, 1).apply();
    Engine engine = Engine.getEngine("PyTorch");
    System.out.println("engine: PyTorch " + engine.getVersion() + ", GPUs visible " + engine.getGpuCount());
    Device device = device(opts.getOrDefault("device", "cpu"), engine);
    switch (rest.get(0)) {
      case "goldens" -> {
        List<DeviceGoldens.Result> results = DeviceGoldens.run(Path.of(need(opts, "models")), device, System.out);
        long bad = results.stream().filter(r -> !r.ok()).count();
        System.out.printf("GOLDENS %s: %d outputs, %d out of tolerance%n", device, results.size(), bad);
        System.exit(bad == 0 && !results.isEmpty() ? 0 : 1);
      }
      case "unet" -> System.out.println(UnetThroughput.measure(Path.of(need(opts, "file")), device,
          Integer.parseInt(opts.getOrDefault("side", "512")), Integer.parseInt(opts.getOrDefault("batch", "8")),
          Integer.parseInt(opts.getOrDefault("steps", "25"))));
      default -> usage("unknown command " + rest.get(0));
    }
  }

  private static Device device(String name, Engine engine) {
    switch (name) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (engine.getGpuCount() == 0) {
          System.err.println("device-check: --device gpu but the engine sees no GPU (flavour cpu, or no"
              + " --cuda-runtime-path to libcudart?)");
          System.exit(1);
        }
        return Device.gpu(0);
      default:
        usage("--device " + name + ": expected cpu or gpu");
        return null;
    }
  }

  private static String need(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) {
      usage("missing --" + key);
    }
    return v;
  }

  private static void usage(String why) {
    System.err.println("device-check: " + why);
    System.err.println("usage: DeviceCheck [--libtorch-path DIR] [--flavor F] [--cuda-runtime-path DIR] [--cache-dir DIR]"
        + " [--threads N] goldens --models DIR --device cpu|gpu | unet --file F --device cpu|gpu"
        + " [--side 512] [--batch 8] [--steps 25]");
    System.exit(2);
  }
}
