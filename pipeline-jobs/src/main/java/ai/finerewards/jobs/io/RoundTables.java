package ai.finerewards.jobs.io;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.jobs.progress.StageProgress;
import ai.finerewards.schemas.TableContract;
import ai.finerewards.schemas.spark.SchemaValidator;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Reads and writes round partitions {@code <root>/<table>/round=<r>/} of the run's tables with the
 * commit protocol of docs/table-commits.md: a write goes to a staging directory, is checked (row
 * count, round, contract) and only then swapped in; a read sees committed partitions only.
 */
public final class RoundTables {
  private final SparkSession spark;
  private final RoundPartitionStore store;
  private final String codeVersion;

  public RoundTables(SparkSession spark, String root, String codeVersion) {
    this.spark = spark;
    this.store = new RoundPartitionStore(root, spark.sparkContext().hadoopConfiguration());
    this.codeVersion = codeVersion;
  }

  public RoundPartitionStore store() {
    return store;
  }

  /**
   * Replaces round {@code round} of {@code contract}'s table with {@code data}: validates it against
   * the contract, writes it to a fresh staging directory, checks that every row is of this round
   * and that the files hold exactly the rows written, then publishes it with a commit marker
   * carrying row count, contract version and {@code fingerprint}. On any failure the staging
   * directory is deleted and the committed partition, if any, is untouched.
   */
  public CommitMarker overwriteRound(Dataset<Row> data, TableContract contract, int round, String stage, String fingerprint) {
    String table = contract.name();
    store.recover(table, round);
    Dataset<Row> conformed = DatasetsFeaturesMetadata.forWrite(SparkSchemas.conform(data, contract), contract);
    Observation written = new Observation("finerewards." + table + ".round" + round);
    Column rows = functions.count(functions.lit(1)).as("rows");
    // Rows of another round would be silently relabelled by the directory name: count them.
    Column otherRound = contract.column("round").isPresent()
        ? functions.sum(functions.when(functions.col("round").notEqual(round), 1).otherwise(0)).as("other_round")
        : functions.lit(0).as("other_round");
    Dataset<Row> observed = conformed.observe(written, rows, otherRound);
    String[] partitionColumns = contract.partitionColumns().toArray(new String[0]);
    Path staging = store.newStaging(table, round);
    try {
      // Marks the write's jobs with the table, so the stage's progress line counts its own table only.
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, table);
      try {
        observed.drop(partitionColumns).write().mode(SaveMode.ErrorIfExists).parquet(staging.toString());
      } finally {
        spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, null);
      }
      DatasetsFeaturesMetadata.addIfImageTable(spark, contract, store.listDataFiles(staging).stream()
          .map(f -> new Path(staging, f.name()).toString()).toList());
      Map<String, Object> metrics = metrics(written, table, round);
      long count = ((Number) metrics.get("rows")).longValue();
      Number bad = (Number) metrics.get("other_round");
      if (bad != null && bad.longValue() > 0) {
        throw new IllegalStateException("table " + table + " (write) round " + round + ": " + bad
            + " rows have another value in column round; a stage writes exactly one round");
      }
      long onDisk = spark.read().parquet(staging.toString()).count();
      if (onDisk != count) {
        throw new IllegalStateException("table " + table + " (write) round " + round + ": " + count
            + " rows written but " + onDisk + " rows in " + staging + "; not committed");
      }
      CommitMarker marker = new CommitMarker(CommitMarker.FORMAT, table, round, stage, count, contract.name(),
          contract.version(), fingerprint, codeVersion, Instant.now().toString(), store.listDataFiles(staging));
      return store.publish(staging, marker);
    } catch (Exception e) { // Spark throws its checked SparkException undeclared; rethrown as is
      awaitTasksStopped();
      store.abort(staging);
      throw e;
    }
  }

  /**
   * A failed job returns before its other tasks have stopped, and those may still create files in
   * the staging directory: wait (bounded) until no task of this job group runs, so the abort really
   * removes it. A leftover would be harmless (never read; the next write of the round deletes it).
   */
  private void awaitTasksStopped() {
    JavaSparkStatusTracker tracker = JavaSparkContext.fromSparkContext(spark.sparkContext()).statusTracker();
    String group = spark.sparkContext().getLocalProperty("spark.jobGroup.id");
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && runningTasks(tracker, group) > 0) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static int runningTasks(JavaSparkStatusTracker tracker, String group) {
    int running = 0;
    for (int jobId : tracker.getJobIdsForGroup(group)) {
      SparkJobInfo job = tracker.getJobInfo(jobId);
      for (int stageId : job == null ? new int[0] : job.stageIds()) {
        SparkStageInfo stage = tracker.getStageInfo(stageId);
        running += stage == null ? 0 : stage.numActiveTasks();
      }
    }
    return running;
  }

  private static Map<String, Object> metrics(Observation written, String table, int round) {
    try {
      return written.getAsJava(); // the write succeeded, so the metrics are there: no real wait
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while committing table " + table + " round " + round, e);
    }
  }

  /** The commit marker of (table, round), or a clear error naming the table and the stage to run. */
  public CommitMarker requireCommitted(String table, int round, String writtenBy) {
    RoundPartitionStore.PartitionState state = store.inspect(table, round);
    return state.marker().orElseThrow(() -> new IllegalStateException(
        "table " + table + " round " + round + " is not committed under " + store.partition(table, round)
            + " (" + state.problem() + "); run stage '" + writtenBy + "' for round " + round
            + " first (`finerewards run` recomputes it)"));
  }

  /**
   * Reads the committed round partition of {@code table}: exactly the files its commit marker lists,
   * with the {@code round} column from the directory name.
   */
  public Dataset<Row> read(String table, int round, String writtenBy) {
    return readFiles(requireCommitted(table, round, writtenBy));
  }

  private Dataset<Row> readFiles(CommitMarker marker) {
    String table = marker.table();
    List<String> files = store.dataFiles(marker);
    return spark.read().option("basePath", store.tableDir(table).toString()).parquet(files.toArray(new String[0]));
  }

  /**
   * Like {@link #read(String, int, String)}, also checking that the partition was written under
   * {@code contract}'s version and that its columns match the contract.
   */
  public Dataset<Row> read(TableContract contract, int round, String writtenBy) {
    CommitMarker marker = requireCommitted(contract.name(), round, writtenBy);
    if (marker.contractVersion() != contract.version()) {
      throw new IllegalStateException("table " + contract.name() + " round " + round + " was written under contract version "
          + marker.contractVersion() + ", this pipeline reads version " + contract.version() + "; re-run stage '"
          + writtenBy + "' for round " + round);
    }
    Dataset<Row> data = readFiles(marker); // checked once above: every file is hashed per check
    SchemaValidator.validateForRead(contract, data.schema());
    return data;
  }
}
