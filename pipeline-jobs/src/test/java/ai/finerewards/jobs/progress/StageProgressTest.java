package ai.finerewards.jobs.progress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageProgressTest extends SparkTestBase {
  @TempDir Path tmp;

  private static void awaitWritten(StageProgress progress, long expected) throws InterruptedException {
    // The listener bus is asynchronous: give it (bounded) time to deliver the task-end events.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (progress.written() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Test
  void countsOnlyTheRecordsWrittenByItsJobGroupAndPrintsLines() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    spark.sparkContext().setJobGroup("finerewards-test-stage", "test", false);
    StageProgress progress = new StageProgress(spark.sparkContext(), "finerewards-test-stage", "rank", 3, 10_000, out, 50);
    try {
      spark.range(0, 10_000, 1, 8).write().parquet(tmp.resolve("ours").toString());
      awaitWritten(progress, 10_000);
      spark.sparkContext().setJobGroup("another-group", "other", false);
      spark.range(0, 500, 1, 2).write().parquet(tmp.resolve("theirs").toString());
      spark.sparkContext().clearJobGroup();
      spark.range(0, 700, 1, 2).write().parquet(tmp.resolve("no-group").toString());
      Thread.sleep(500);
      assertThat(progress.written()).isEqualTo(10_000);
      progress.finish(10_000);
    } finally {
      progress.close();
      spark.sparkContext().clearJobGroup();
    }
    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines().toList()).last().asString()
        .matches("rank round=3: 10,000/10,000 rows [0-9,]+ rows/s [0-9]+\\.[0-9]s");
    assertThat(printed.lines()).allMatch(l -> l.matches("rank round=3: [0-9,]+/10,000 rows [0-9,]+ rows/s [0-9]+\\.[0-9]s"));
  }
}
