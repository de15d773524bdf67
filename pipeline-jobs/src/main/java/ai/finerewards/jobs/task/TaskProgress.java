package ai.finerewards.jobs.task;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Progress of the model-running tasks of this executor JVM, batch by batch, read while they run
 * (Spark's own metrics and accumulators reach the driver only with heartbeats or at task end):
 * batches and input rows done per task attempt id, forgotten when the task ends. The batching
 * helpers of this package report into it; a thread dump or a test (a listener that kills a task
 * after its first batch, in local mode) reads it. Also a null-safe way to add to a stage's
 * accumulator.
 */
public final class TaskProgress {
  private static final Map<Long, long[]> RUNNING = new ConcurrentHashMap<>();

  private TaskProgress() {}

  /** Called on the task thread when a batch of {@code rows} inputs has gone through the model. */
  public static void batchDone(int rows) {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return;
    }
    long id = tc.taskAttemptId();
    long[] counts = RUNNING.computeIfAbsent(id, k -> {
      tc.addTaskCompletionListener((TaskCompletionListener) ctx -> RUNNING.remove(id));
      return new long[2];
    });
    synchronized (counts) {
      counts[0]++;
      counts[1] += rows;
    }
  }

  /** Batches done so far by the running task attempt {@code taskAttemptId} of this JVM (0 when unknown). */
  public static long batches(long taskAttemptId) {
    long[] counts = RUNNING.get(taskAttemptId);
    if (counts == null) {
      return 0;
    }
    synchronized (counts) {
      return counts[0];
    }
  }

  /** Input rows done so far by the running task attempt {@code taskAttemptId} of this JVM. */
  public static long rows(long taskAttemptId) {
    long[] counts = RUNNING.get(taskAttemptId);
    if (counts == null) {
      return 0;
    }
    synchronized (counts) {
      return counts[1];
    }
  }

  /** Adds {@code delta} to a stage accumulator that a caller may leave out (null). */
  public static void add(LongAccumulator accumulator, long delta) {
    if (accumulator != null && delta != 0) {
      accumulator.add(delta);
    }
  }
}
