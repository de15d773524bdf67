package ai.finerewards.jobs.progress;

import ai.finerewards.core.run.ProgressLine;
import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * One console progress line per stage: counts the records written by the tasks of the Spark jobs
 * in this stage's job group, and prints {@link ProgressLine} at most every {@code intervalMillis}
 * while it changes, plus a final line from the committed row count. Start it after setting the job
 * group, close it when the stage ends.
 */
public final class StageProgress extends SparkListener implements AutoCloseable {
  private static final String JOB_GROUP = "spark.jobGroup.id";

  private final SparkContext sc;
  private final String jobGroup;
  private final String stage;
  private final int round;
  private final long total;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Set<Integer> ourStages = ConcurrentHashMap.newKeySet();
  private final AtomicLong written = new AtomicLong();
  private final ScheduledExecutorService ticker;
  private long lastPrinted = -1;

  /**
   * @param total rows expected, negative when unknown
   */
  public StageProgress(SparkContext sc, String jobGroup, String stage, int round, long total, PrintStream out, long intervalMillis) {
    this.sc = sc;
    this.jobGroup = jobGroup;
    this.stage = stage;
    this.round = round;
    this.total = total;
    this.out = out;
    sc.addSparkListener(this);
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "finerewards-progress-" + stage);
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onJobStart(SparkListenerJobStart jobStart) {
    if (jobStart.properties() != null && jobGroup.equals(jobStart.properties().getProperty(JOB_GROUP))) {
      for (Object id : scala.collection.JavaConverters.seqAsJavaList(jobStart.stageIds())) {
        ourStages.add((Integer) id);
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    TaskMetrics metrics = taskEnd.taskMetrics();
    if (metrics != null && ourStages.contains(taskEnd.stageId()) && taskEnd.reason() instanceof org.apache.spark.Success$) {
      written.addAndGet(metrics.outputMetrics().recordsWritten());
    }
  }

  /** Rows written so far by this stage's jobs, as the listener bus has reported them. */
  public long written() {
    return written.get();
  }

  private synchronized void tick() {
    long done = written.get();
    if (done != lastPrinted) {
      lastPrinted = done;
      out.println(ProgressLine.format(stage, round, done, total, System.nanoTime() - startNanos));
    }
  }

  /**
   * Stops the periodic line and prints the final one: the committed row count is both done and
   * total, since the total was only an estimate from the inputs.
   */
  public void finish(long committedRows) {
    stop();
    out.println(ProgressLine.format(stage, round, committedRows, committedRows, System.nanoTime() - startNanos));
  }

  private void stop() {
    ticker.shutdownNow();
    sc.removeSparkListener(this);
  }

  @Override
  public void close() {
    stop();
  }
}
