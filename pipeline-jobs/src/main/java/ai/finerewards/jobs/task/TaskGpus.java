package ai.finerewards.jobs.task;

import ai.djl.Device;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelRuntime;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running task's {@code gpu} resource addresses (what {@code spark.task.resource.gpu.amount}
 * gave it) and the device the model policy maps them to. Call it on the task thread: TaskContext is
 * thread-local, so a background thread of the task would see no addresses.
 */
public final class TaskGpus {
  private static final Logger LOG = LoggerFactory.getLogger(TaskGpus.class);

  private TaskGpus() {}

  /** The addresses, empty on the driver, outside a task or when the task was given no GPU. */
  public static List<String> addresses() {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return List.of();
    }
    scala.Option<ResourceInformation> gpu = tc.resources().get("gpu");
    return gpu.isDefined() ? List.of(gpu.get().addresses()) : List.of();
  }

  /**
   * The task's addresses after checking that {@code finerewards.models.device} maps them to a
   * device (this starts the engine): one executor log line per task says which address went to which
   * device, and a policy that cannot be met fails here, before any row is read, with the task, the
   * address and the reason.
   *
   * @param stage the stage name for the log line and the error
   */
  public static List<String> forModels(ModelRuntime runtime, String stage) {
    List<String> gpus = addresses();
    String task = describe(TaskContext.get());
    Device device;
    try {
      device = runtime.device(gpus);
    } catch (ModelError e) {
      throw new ModelError(stage + " " + task + " with gpu address(es) " + gpus + ": " + e.getMessage(), e);
    }
    LOG.info("{} {}: gpu address(es) {} -> device {} (finerewards.models.device = {})", stage, task, gpus, device,
        runtime.models().device());
    return gpus;
  }

  private static String describe(TaskContext tc) {
    return tc == null ? "(no task)"
        : "task " + tc.taskAttemptId() + " (stage " + tc.stageId() + ", partition " + tc.partitionId()
            + ", attempt " + tc.attemptNumber() + ")";
  }
}
