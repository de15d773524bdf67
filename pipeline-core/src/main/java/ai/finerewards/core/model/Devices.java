package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;

/**
 * Chooses the device for a task. Core cannot see Spark's TaskContext, so the caller passes the
 * task's {@code gpu} resource addresses ({@code TaskContext.get().resources().get("gpu")}).
 */
public final class Devices {
  private Devices() {}

  /**
   * @param policy {@code auto}, {@code cpu} or {@code gpu} (finerewards.models.device)
   * @param gpuAddresses the task's GPU addresses, empty when it has none
   */
  public static Device choose(String policy, List<String> gpuAddresses) {
    int visible = "cpu".equals(policy) ? 0 : Engine.getEngine("PyTorch").getGpuCount();
    return choose(policy, gpuAddresses, visible);
  }

  /**
   * The rule, with the number of GPUs the engine sees given:
   * {@code cpu} is always the CPU; {@code auto} is the CPU when no GPU is visible; otherwise the
   * first address the task was given (GPU 0 when it was given none). An address at or past the
   * visible count is taken as GPU 0 when exactly one GPU is visible, as when the cluster manager
   * isolates the task's GPU ({@code CUDA_VISIBLE_DEVICES}); otherwise it is an error.
   */
  public static Device choose(String policy, List<String> gpuAddresses, int visibleGpus) {
    switch (policy) {
      case "cpu":
        return Device.cpu();
      case "auto":
        if (visibleGpus == 0) {
          return Device.cpu();
        }
        return Device.gpu(gpuIndex(gpuAddresses, visibleGpus));
      case "gpu":
        if (visibleGpus == 0) {
          throw new ModelError("finerewards.models.device = gpu but the PyTorch engine sees no GPU"
              + " (is a CUDA build of pytorch-native on the class path?)");
        }
        return Device.gpu(gpuIndex(gpuAddresses, visibleGpus));
      default:
        throw new ModelError("finerewards.models.device = " + policy + ": expected auto, cpu or gpu");
    }
  }

  private static int gpuIndex(List<String> addresses, int visible) {
    if (addresses == null || addresses.isEmpty()) {
      return 0;
    }
    String a = addresses.get(0).trim();
    int index;
    try {
      index = Integer.parseInt(a);
    } catch (NumberFormatException e) {
      throw new ModelError("task gpu resource address '" + a + "' is not a GPU index"
          + " (the discovery script must report CUDA device ordinals)");
    }
    if (index >= 0 && index < visible) {
      return index;
    }
    if (visible == 1 && index >= 0) {
      return 0;
    }
    throw new ModelError("task gpu resource address " + index + " but the engine sees " + visible
        + " GPUs (ordinals 0.." + (visible - 1) + ")");
  }
}
