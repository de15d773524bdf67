package ai.finerewards.jobs.progress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
    StageProgress progress = new StageProgress(spark.sparkContext(), "finerewards-test-stage", "rank", "ranked", 3, 10_000, out, 50);
    try {
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, "ranked");
      spark.range(0, 10_000, 1, 8).write().parquet(tmp.resolve("ours").toString());
      awaitWritten(progress, 10_000);
      spark.sparkContext().setJobGroup("another-group", "other", false);
      spark.range(0, 500, 1, 2).write().parquet(tmp.resolve("theirs").toString());
      spark.sparkContext().clearJobGroup();
      spark.range(0, 700, 1, 2).write().parquet(tmp.resolve("no-group").toString());
      Thread.sleep(500);
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, null);
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
    // The periodic line stops short of the total: the final line alone says 10,000/10,000.
    assertThat(printed.lines().filter(l -> l.startsWith("rank round=3: 10,000/"))).hasSize(1);
  }

  @Test
  void countsOnlyItsOutputTableAndLearnsTheTotalFromTheWrite() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    spark.sparkContext().setJobGroup("finerewards-test-generate", "test", false);
    StageProgress progress = new StageProgress(spark.sparkContext(), "finerewards-test-generate", "generate", "samples", 0, -1, out, 20);
    try {
      // generate writes its prompts first, in the same job group: they are not its output rows.
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, "prompts");
      spark.range(0, 20, 1, 2).write().parquet(tmp.resolve("prompts").toString());
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, "samples");
      spark.sparkContext().setLocalProperty(StageProgress.EXPECTED_ROWS, "80");
      spark.range(0, 80, 1, 4).write().parquet(tmp.resolve("samples").toString());
      awaitWritten(progress, 80);
      Thread.sleep(300);
      assertThat(progress.written()).isEqualTo(80);
      progress.finish(80);
    } finally {
      progress.close();
      spark.sparkContext().setLocalProperty(StageProgress.WRITING_TABLE, null);
      spark.sparkContext().setLocalProperty(StageProgress.EXPECTED_ROWS, null);
      spark.sparkContext().clearJobGroup();
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).last().asString().startsWith("generate round=0: 80/80 rows");
    assertThat(lines).allMatch(l -> l.matches("generate round=0: ([0-9]|[1-7][0-9]|80)/(\\?|80) rows .*")); // never prompts + samples
  }
}
