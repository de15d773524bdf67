package ai.finerewards.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.TableContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTablesTest extends SparkTestBase {
  static final TableContract SCORES = new TableContract("scores", 3, "test table", "score", List.of("rank"),
      List.of("round"), List.of("round", "prompt_id", "sample_idx"),
      List.of(
          new ColumnSpec("round", Primitive.INT, false, "round", ""),
          new ColumnSpec("prompt_id", Primitive.STRING, false, "prompt", ""),
          new ColumnSpec("sample_idx", Primitive.INT, false, "sample", ""),
          new ColumnSpec("value", Primitive.DOUBLE, true, "a value", "")));

  static final StructType SCHEMA = new StructType()
      .add("round", DataTypes.IntegerType, false)
      .add("prompt_id", DataTypes.StringType, true)
      .add("sample_idx", DataTypes.IntegerType, false)
      .add("value", DataTypes.DoubleType, true);

  @TempDir Path tmp;
  RoundTables tables;

  @BeforeEach
  void setUp() {
    tables = new RoundTables(spark, tmp.toUri().toString(), "test-version");
  }

  /** n rows of round r over 8 partitions: (r, "p<i/4>", i%4, i * scale). */
  static Dataset<Row> rows(int round, int n, double scale) {
    return spark.range(0, n, 1, 8).map((MapFunction<Long, Row>) i ->
            RowFactory.create(round, "p" + (i / 4), (int) (i % 4), i * scale),
        org.apache.spark.sql.Encoders.row(SCHEMA));
  }

  List<Object[]> readBack(int round) {
    return rowsToJava(tables.read(SCORES, round, "score")
        .select("round", "prompt_id", "sample_idx", "value").orderBy("prompt_id", "sample_idx").collectAsList());
  }

  List<String> leftovers() throws IOException {
    try (Stream<Path> s = Files.walk(tmp.resolve("scores"))) {
      return s.map(p -> tmp.relativize(p).toString()).filter(p -> p.contains("_staging/") || p.contains("_trash/")).toList();
    }
  }

  List<String> all() throws IOException {
    try (Stream<Path> s = Files.walk(tmp.resolve("scores"))) {
      return s.map(p -> tmp.relativize(p).toString()).toList();
    }
  }

  @Test
  void commitsARoundWithAMarkerAndReadsItBackWithTheRoundColumn() {
    CommitMarker m = tables.overwriteRound(rows(0, 12, 1.0), SCORES, 0, "score", "fp-1");

    assertThat(m.rowCount()).isEqualTo(12);
    assertThat(m.contractName()).isEqualTo("scores");
    assertThat(m.contractVersion()).isEqualTo(3);
    assertThat(m.fingerprint()).isEqualTo("fp-1");
    assertThat(m.codeVersion()).isEqualTo("test-version");
    assertThat(m.files()).isNotEmpty().allSatisfy(f -> assertThat(f.name()).endsWith(".parquet"));
    assertThat(tables.store().committed("scores", 0)).contains(m);
    List<Object[]> back = readBack(0);
    assertThat(back).hasSize(12);
    assertEquals("first rows", rows(row(0, "p0", 0, 0.0), row(0, "p0", 1, 1.0)), back.subList(0, 2));
    // The files hold no round column: it comes from the directory, as for every partitioned table.
    assertThat(spark.read().parquet(tmp.resolve("scores/round=0").toString()).columns()).doesNotContain("round");
  }

  @Test
  void rewritingARoundLeavesExactlyOneCopyOfEachRow() {
    tables.overwriteRound(rows(1, 40, 1.0), SCORES, 1, "score", "fp-1");
    tables.overwriteRound(rows(1, 40, 2.0), SCORES, 1, "score", "fp-2");
    tables.overwriteRound(rows(0, 4, 1.0), SCORES, 0, "score", "fp-0");

    Dataset<Row> r1 = tables.read(SCORES, 1, "score");
    assertThat(r1.count()).isEqualTo(40);
    assertThat(r1.select("prompt_id", "sample_idx").distinct().count()).isEqualTo(40);
    assertThat(r1.agg(org.apache.spark.sql.functions.sum("value")).first().getDouble(0)).isEqualTo(2.0 * 39 * 40 / 2);
    assertThat(tables.store().committed("scores", 1).orElseThrow().fingerprint()).isEqualTo("fp-2");
    assertThat(tables.store().committedRounds("scores")).containsExactly(0, 1);
  }

  @Test
  void aTaskFailingMidWriteLeavesThePreviousPartitionIntactAndReadable() throws IOException {
    tables.overwriteRound(rows(0, 16, 1.0), SCORES, 0, "score", "good");
    List<Object[]> before = readBack(0);

    // Partition 5 of 8 throws after the other tasks may already have written their files.
    Dataset<Row> failing = rows(0, 64, 9.0).map((MapFunction<Row, Row>) r -> {
      if (r.getInt(2) == 3 && r.getString(1).equals("p11")) {
        throw new IllegalStateException("injected failure in the middle of the write");
      }
      return r;
    }, org.apache.spark.sql.Encoders.row(SCHEMA));

    assertThatThrownBy(() -> tables.overwriteRound(failing, SCORES, 0, "score", "bad"))
        .hasStackTraceContaining("injected failure");
    assertEquals("after the failed write", before, readBack(0));
    assertThat(tables.store().committed("scores", 0).orElseThrow().fingerprint()).isEqualTo("good");
    assertThat(leftovers()).as(all().toString()).isEmpty();
  }

  @Test
  void aNullInANonNullableColumnFailsTheWriteNamingTableAndColumn() {
    Dataset<Row> withNull = spark.createDataFrame(List.of(RowFactory.create(0, null, 0, 1.0)), SCHEMA);
    assertThatThrownBy(() -> tables.overwriteRound(withNull, SCORES, 0, "score", "x"))
        .hasStackTraceContaining("table scores (write): column prompt_id: expected no nulls");
    assertThat(tables.store().committed("scores", 0)).isEmpty();
  }

  @Test
  void rowsOfAnotherRoundAreRefused() throws IOException {
    assertThatThrownBy(() -> tables.overwriteRound(rows(2, 8, 1.0), SCORES, 0, "score", "x"))
        .hasMessageContaining("table scores (write) round 0: 8 rows have another value in column round");
    assertThat(tables.store().committed("scores", 0)).isEmpty();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void aMissingOrMistypedColumnFailsBeforeWritingNamingTableAndColumn() {
    Dataset<Row> missing = rows(0, 4, 1.0).drop("value");
    assertThatThrownBy(() -> tables.overwriteRound(missing, SCORES, 0, "score", "x"))
        .hasMessageContaining("table scores (write) does not match its contract")
        .hasMessageContaining("column value: expected double, found no such column");
    Dataset<Row> mistyped = rows(0, 4, 1.0).withColumn("value", org.apache.spark.sql.functions.lit("high"));
    assertThatThrownBy(() -> tables.overwriteRound(mistyped, SCORES, 0, "score", "x"))
        .hasMessageContaining("column value: expected double, found string");
    assertThat(Files.exists(tmp.resolve("scores/round=0"))).isFalse();
  }

  @Test
  void readingAnUncommittedRoundNamesTheTableAndTheStageToRun() throws IOException {
    Files.createDirectories(tmp.resolve("scores/round=4"));
    assertThatThrownBy(() -> tables.read(SCORES, 4, "score"))
        .hasMessageContaining("table scores round 4 is not committed")
        .hasMessageContaining("run stage 'score' for round 4 first");
  }

  @Test
  void aPartitionWrittenUnderAnotherContractVersionIsRefused() {
    tables.overwriteRound(rows(0, 4, 1.0), SCORES, 0, "score", "x");
    TableContract v4 = new TableContract("scores", 4, "", "score", List.of(), List.of("round"), SCORES.keyColumns(),
        SCORES.columns());
    assertThatThrownBy(() -> tables.read(v4, 0, "score"))
        .hasMessageContaining("table scores round 0 was written under contract version 3, this pipeline reads version 4");
  }
}
