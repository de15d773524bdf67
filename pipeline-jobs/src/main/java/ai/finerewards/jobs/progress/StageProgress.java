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
 * One console progress line per stage: counts the records written into the stage's own output table
 * by the Spark jobs of this stage's job group, and prints {@link ProgressLine} at most every
 * {@code intervalMillis} while it changes, plus a final line from the committed row count. Start it
 * after setting the job group, close it when the stage ends.
 *
 * <p>A stage may write other tables in the same job group (generate commits {@code prompts} before
 * {@code samples}); counting those too would print more rows than the stage makes. So a writer marks
 * the job that writes a table with the local property {@value #WRITING_TABLE} (RoundTables does), and
 * only jobs marked with the stage's output table count. A stage that learns its row count only while
 * it runs (generate: prompts times samples per prompt) sets {@value #EXPECTED_ROWS} before its write.
 */
public final class StageProgress extends SparkListener implements AutoCloseable {
  private static final String JOB_GROUP = "spark.jobGroup.id";
  /** Spark local property: the table the jobs started now write. */
  public static final String WRITING_TABLE = "finerewards.writing.table";
  /** Spark local property: how many rows the jobs started now are expected to write. */
  public static final String EXPECTED_ROWS = "finerewards.progress.expected-rows";

  private final SparkContext sc;
  private final String jobGroup;
  private final String stage;
  private final String outputTable;
  private final int round;
  private volatile long total;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Set<Integer> ourStages = ConcurrentHashMap.newKeySet();
  private final AtomicLong written = new AtomicLong();
  private final ScheduledExecutorService ticker;
  private long lastPrinted = -1;

  /**
   * @param outputTable the table whose written rows count
   * @param total rows expected, negative when unknown
   */
  public StageProgress(SparkContext sc, String jobGroup, String stage, String outputTable, int round, long total,
      PrintStream out, long intervalMillis) {
    this.sc = sc;
    this.jobGroup = jobGroup;
    this.stage = stage;
    this.outputTable = outputTable;
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
    java.util.Properties p = jobStart.properties();
    if (p != null && jobGroup.equals(p.getProperty(JOB_GROUP)) && outputTable.equals(p.getProperty(WRITING_TABLE))) {
      String expected = p.getProperty(EXPECTED_ROWS);
      if (expected != null) {
        total = Long.parseLong(expected);
      }
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
    // All rows written: the final line (after the commit) follows, so a periodic one would repeat it.
    if (done != lastPrinted && (total < 0 || done < total)) {
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
