package ai.finerewards.jobs.segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/** The running task's {@code gpu} resource addresses (empty on the driver or without GPUs). */
public final class TaskGpus {
  private TaskGpus() {}

  public static List<String> addresses() {
    List<String> gpus = new ArrayList<>();
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      ResourceInformation info = tc.resources().get("gpu").getOrElse(() -> null);
      if (info != null) {
        gpus.addAll(Arrays.asList(info.addresses()));
      }
    }
    return gpus;
  }
}
