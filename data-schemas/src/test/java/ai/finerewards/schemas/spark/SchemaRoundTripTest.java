package ai.finerewards.schemas.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.schemas.SchemaMismatchException;
import ai.finerewards.schemas.Storage;
import ai.finerewards.schemas.TableContract;
import ai.finerewards.schemas.Tables;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Contracts written and read back through real Parquet, and each kind of mismatch. */
class SchemaRoundTripTest extends LocalSparkTest {

  @TempDir Path tmp;

  static Stream<TableContract> parquetTables() {
    return Tables.all().stream().filter(t -> t.storage() == Storage.PARQUET);
  }

  private Dataset<Row> dataset(TableContract contract, int rows, int round) {
    return spark.createDataFrame(ContractRows.rows(contract, rows, round), SparkSchemas.toStructType(contract));
  }

  private String write(Dataset<Row> data, TableContract contract, String dir) {
    String path = tmp.resolve(dir).toString();
    SparkSchemas.conform(data, contract).write().mode("overwrite").partitionBy("round").parquet(path);
    return path;
  }

  private static List<String> json(Dataset<Row> data, TableContract contract) {
    Column[] cols = contract.columnNames().stream().map(functions::col).toArray(Column[]::new);
    return data.select(cols).toJSON().collectAsList().stream().sorted().toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parquetTables")
  void everyContractSurvivesAParquetRoundTripAndValidates(TableContract contract) {
    Dataset<Row> written = dataset(contract, 3, 1).union(dataset(contract, 2, 2));
    String path = write(written, contract, contract.name());

    Dataset<Row> read = spark.read().parquet(path);
    SchemaValidator.validateForRead(contract, read.schema());

    assertThat(json(read, contract)).isEqualTo(json(written, contract)).hasSize(5);
    StructField firstData = read.schema().apply(contract.dataColumns().get(0).name());
    assertThat(firstData.metadata().getLong(SparkSchemas.VERSION_KEY)).isEqualTo(contract.version());
    assertThat(firstData.metadata().getString(SparkSchemas.TABLE_KEY)).isEqualTo(contract.name());
    assertThat(read.schema().apply("round").dataType().simpleString()).isEqualTo("int");
  }

  @Test
  void readingAMissingColumnNamesTableColumnExpectedAndFound() {
    TableContract samples = Tables.SAMPLES;
    String path = write(dataset(samples, 2, 0), samples, "samples");
    Dataset<Row> withoutSeed = spark.read().parquet(path).drop("seed");

    assertThatThrownBy(() -> SchemaValidator.validateForRead(samples, withoutSeed.schema()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("table samples (read)")
        .hasMessageContaining("column seed: expected bigint not null, found no such column")
        .hasMessageContaining("columns found: [prompt_id, sample_idx, prompt, negative_prompt");
  }

  @Test
  void readingAMistypedColumnNamesIt() throws Exception {
    TableContract captions = Tables.CAPTIONS;
    // A writer that stored the reward as a string: same column names, version metadata intact.
    Dataset<Row> ok = SparkSchemas.conform(dataset(captions, 2, 0), captions);
    Dataset<Row> bad = ok.withColumn("caption_reward",
        ok.col("caption_reward").cast("string").as("caption_reward", ok.schema().apply("caption_reward").metadata()));
    String path = tmp.resolve("captions-bad").toString();
    bad.write().partitionBy("round").parquet(path);

    SchemaMismatchException e = org.junit.jupiter.api.Assertions.assertThrows(SchemaMismatchException.class,
        () -> SchemaValidator.validateForRead(captions, spark.read().parquet(path).schema()));
    assertThat(e.table()).isEqualTo("captions");
    assertThat(e.mismatches()).containsExactly(
        new SchemaMismatchException.Mismatch("caption_reward", "double", "string"));
    assertThat(e).hasMessageContaining("column caption_reward: expected double, found string");
  }

  @Test
  void readingAnotherContractVersionFails() {
    TableContract v1 = Tables.RANKED;
    TableContract v2 = withVersion(v1, 2);
    String path = write(dataset(v2, 2, 0), v2, "ranked-v2");

    assertThatThrownBy(() -> SchemaValidator.validateForRead(v1, spark.read().parquet(path).schema()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("table ranked (read)")
        .hasMessageContaining("prompt_id")
        .hasMessageContaining("expected contract version 1 of table ranked, found version 2")
        .hasMessageContaining("re-run it");
  }

  @Test
  void readingDataWrittenWithoutTheContractFails() {
    TableContract prompts = Tables.PROMPTS;
    String path = tmp.resolve("plain").toString();
    Dataset<Row> data = dataset(prompts, 2, 0);
    StructType plain = new StructType(java.util.Arrays.stream(data.schema().fields())
        .map(f -> new StructField(f.name(), f.dataType(), f.nullable(), org.apache.spark.sql.types.Metadata.empty()))
        .toArray(StructField[]::new));
    // Another tool (no conform) wrote the same columns without the contract's metadata:
    spark.createDataFrame(data.rdd(), plain).write().partitionBy("round").parquet(path);

    assertThatThrownBy(() -> SchemaValidator.validateForRead(prompts, spark.read().parquet(path).schema()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("found no contract version metadata");
  }

  @Test
  void readingAnotherTablesDataFailsNamingIt() {
    String path = write(dataset(Tables.CAPTIONS, 2, 0), Tables.CAPTIONS, "captions");
    // captions and segments share the key columns; the reader of segments pointed at captions:
    StructType schema = spark.read().parquet(path).schema();
    assertThatThrownBy(() -> SchemaValidator.validateForRead(Tables.SEGMENTS, schema))
        .hasMessageContaining("column parts: expected array<struct<part_idx:int")
        .hasMessageContaining("found a column of table captions (version 1)");
  }

  @Test
  void readingOnePartitionDirectoryWithoutBasePathExplainsTheMissingRound() {
    String path = write(dataset(Tables.SAMPLES, 2, 3), Tables.SAMPLES, "samples");
    StructType direct = spark.read().parquet(path + "/round=3").schema();
    assertThatThrownBy(() -> SchemaValidator.validateForRead(Tables.SAMPLES, direct))
        .hasMessageContaining("column round: expected int not null, found no such column")
        .hasMessageContaining("basePath=<root>/samples");

    StructType withBase = spark.read().option("basePath", path).parquet(path + "/round=3").schema();
    SchemaValidator.validateForRead(Tables.SAMPLES, withBase);
  }

  @Test
  void conformReplacesTheMetadataOfColumnsCarriedOverFromAnotherTable() {
    // rank copies the key columns from captions: they arrive stamped "captions" and must leave stamped "ranked".
    Dataset<Row> fresh = dataset(Tables.RANKED, 1, 0);
    Dataset<Row> ranked = fresh.withColumn("prompt_id", fresh.col("prompt_id")
        .as("prompt_id", SparkSchemas.columnMetadata(Tables.CAPTIONS, Tables.CAPTIONS.column("prompt_id").orElseThrow())));
    assertThat(ranked.schema().apply("prompt_id").metadata().getString(SparkSchemas.TABLE_KEY)).isEqualTo("captions");

    StructType conformed = SparkSchemas.conform(ranked, Tables.RANKED).schema();
    assertThat(conformed.apply("prompt_id").metadata().getString(SparkSchemas.TABLE_KEY)).isEqualTo("ranked");
    SchemaValidator.validateForRead(Tables.RANKED, conformed);
  }

  @Test
  void readToleratesExtraColumnsWriteRejectsThem() {
    TableContract llm = Tables.LLM_SCORES;
    Dataset<Row> data = SparkSchemas.conform(dataset(llm, 1, 0), llm).withColumn("debug", functions.lit(1));
    SchemaValidator.validateForRead(llm, data.schema());
    assertThatThrownBy(() -> SchemaValidator.validateForWrite(llm, data.schema()))
        .hasMessageContaining("table llm_scores (write)")
        .hasMessageContaining("column debug: expected no such column");
  }

  @Test
  void nestedMismatchNamesThePath() {
    TableContract segments = Tables.SEGMENTS;
    StructType good = SparkSchemas.toStructType(segments);
    // bbox.x0 as bigint, as a careless Java writer using long would produce:
    String ddl = good.toDDL().replace("x0: INT", "x0: BIGINT").replace("x0 INT", "x0 BIGINT");
    StructType bad = StructType.fromDDL(ddl);
    assertThat(bad).isNotEqualTo(good);
    assertThatThrownBy(() -> SchemaValidator.validateForWrite(segments, bad))
        .hasMessageContaining("column parts[].bbox.x0: expected int, found bigint");
  }

  @Test
  void caseDifferenceIsPointedOut() {
    StructType schema = SparkSchemas.toStructType(Tables.PROMPTS);
    StructType renamed = new StructType(java.util.Arrays.stream(schema.fields())
        .map(f -> f.name().equals("prompt") ? new StructField("Prompt", f.dataType(), f.nullable(), f.metadata()) : f)
        .toArray(StructField[]::new));
    assertThatThrownBy(() -> SchemaValidator.validateForWrite(Tables.PROMPTS, renamed))
        .hasMessageContaining("column prompt: expected string not null, found no such column; a field named Prompt differs only in case");
  }

  @Test
  void conformOrdersColumnsAndFailsTheWriteOnANullInANonNullColumn() {
    TableContract prompts = Tables.PROMPTS;
    Dataset<Row> data = dataset(prompts, 2, 0);
    Dataset<Row> reversed = data.select(functions.col("source_row"), functions.col("source_file"),
        functions.col("prompt_id_derived"), functions.col("prompt"), functions.col("prompt_id"), functions.col("round"));
    assertThat(SparkSchemas.conform(reversed, prompts).columns()).containsExactlyElementsOf(prompts.columnNames());

    Dataset<Row> nullPrompt = data.withColumn("prompt",
        functions.when(functions.col("prompt").equalTo("v1"), functions.lit(null).cast("string")).otherwise(functions.col("prompt")));
    String path = tmp.resolve("nulls").toString();
    assertThatThrownBy(() -> SparkSchemas.conform(nullPrompt, prompts).write().partitionBy("round").parquet(path))
        .hasStackTraceContaining("table prompts (write): column prompt: expected no nulls");
  }

  private static TableContract withVersion(TableContract c, int version) {
    return new TableContract(c.name(), version, c.storage(), c.location(), c.doc(), c.writtenBy(), c.readBy(),
        c.partitionColumns(), c.keyColumns(), c.columns());
  }

}
