package ai.finerewards.jobs;

import ai.finerewards.jobs.task.TaskProgress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Test-side failure injection, outside the production classes: kills (and so makes Spark reschedule)
 * the first task attempt that reports a finished model batch through {@link TaskProgress}, once, in
 * the middle of its partition. Local mode only: it reads the executor's progress in the same JVM.
 * A killed attempt is retried without counting as a failure, so any session works; the killed
 * attempt has run at least one model batch, so its retry starts again with a warm model cache.
 */
public final class KillAfterFirstBatch extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final Set<Long> running = ConcurrentHashMap.newKeySet();
  private final AtomicLong killed = new AtomicLong(-1);
  private volatile boolean killedAttemptEnded;
  private final Thread watcher;

  public KillAfterFirstBatch(SparkContext sc) {
    this.sc = sc;
    sc.addSparkListener(this);
    watcher = new Thread(this::watch, "test-kill-after-first-batch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private void watch() {
    while (killed.get() < 0 && !Thread.currentThread().isInterrupted()) {
      for (long id : running) {
        if (TaskProgress.batches(id) >= 1 && killed.compareAndSet(-1, id)) {
          sc.killTaskAttempt(id, true, "test: killed after its first batch");
          return;
        }
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart start) {
    running.add(start.taskInfo().taskId());
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    running.remove(end.taskInfo().taskId());
    if (end.taskInfo().taskId() == killed.get() && end.reason() instanceof TaskKilled) {
      killedAttemptEnded = true;
    }
  }

  /**
   * Whether an attempt was killed after its first batch and ended as killed (not as finished). Waits
   * up to 10 s for the listener bus, which delivers task ends after the job has returned.
   */
  public boolean killedMidPartition() throws InterruptedException {
    for (int i = 0; i < 1000 && !killedAttemptEnded && killed.get() >= 0; i++) {
      Thread.sleep(10);
    }
    return killedAttemptEnded;
  }

  @Override
  public void close() {
    watcher.interrupt();
    sc.removeSparkListener(this);
  }
}
