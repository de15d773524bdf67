package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model cache's memory budget per device ({@code finerewards.model-cache.device-memory-budget}):
 * bytes, {@link #UNLIMITED}, or {@link #AUTO}, which this class resolves from the device:
 *
 * <ul>
 *   <li>a GPU: {@value #GPU_FRACTION} of the device's total memory as DJL reports it
 *       ({@code CudaUtils.getGpuMemory}); the rest is left for activations (a UNet batch with
 *       guidance at 512px takes a few GB), the CUDA context and the train stage's own UNet copy;
 *   <li>the CPU: {@value #CPU_FRACTION} of what the JVM's heap leaves of the machine's (or the
 *       container's) physical memory, {@code (physical - max heap) x 0.5}: libtorch keeps CPU tensors
 *       outside the heap, and other processes, Spark's off-heap buffers and activations need the rest.
 * </ul>
 */
public final class DeviceMemoryBudget {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceMemoryBudget.class);
  /** The configured value {@code auto}. */
  public static final long AUTO = ai.finerewards.core.config.ModelCacheConfig.BUDGET_AUTO;
  /** The configured value {@code unlimited}: nothing is ever evicted (the cache before budgets). */
  public static final long UNLIMITED = ai.finerewards.core.config.ModelCacheConfig.BUDGET_UNLIMITED;
  public static final double GPU_FRACTION = 0.8;
  public static final double CPU_FRACTION = 0.5;
  private static final Pattern GPU = Pattern.compile("gpu\\((\\d+)\\)");

  private DeviceMemoryBudget() {}

  /** The auto budget of {@code device} ({@code Device.toString()}: {@code cpu()}, {@code gpu(0)}). */
  static long auto(String device) {
    Matcher m = GPU.matcher(device);
    long budget;
    if (m.matches()) {
      MemoryUsage mem = CudaUtils.getGpuMemory(Device.gpu(Integer.parseInt(m.group(1))));
      budget = forGpu(mem.getMax());
      LOG.info("model cache: device memory budget of {} is auto: {} x {} total = {}", device, GPU_FRACTION,
          ModelCache.human(mem.getMax()), ModelCache.human(budget));
    } else {
      long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getTotalMemorySize();
      long heap = Runtime.getRuntime().maxMemory();
      budget = forCpu(physical, heap);
      LOG.info("model cache: device memory budget of {} is auto: {} x ({} physical - {} max heap) = {}", device,
          CPU_FRACTION, ModelCache.human(physical), ModelCache.human(heap), ModelCache.human(budget));
    }
    return budget;
  }

  /** The GPU rule for a device of {@code totalBytes}. */
  public static long forGpu(long totalBytes) {
    return (long) (totalBytes * GPU_FRACTION);
  }

  /** The CPU rule; at least 1 byte (a JVM heap as large as the machine leaves models over budget, loudly). */
  public static long forCpu(long physicalBytes, long maxHeapBytes) {
    return Math.max(1L, (long) (Math.max(0L, physicalBytes - maxHeapBytes) * CPU_FRACTION));
  }
}
