package ai.finerewards.jobs.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.prompts.InvalidPromptPolicy;
import ai.finerewards.core.prompts.InvalidPromptsException;
import ai.finerewards.core.prompts.PromptFormat;
import ai.finerewards.core.prompts.PromptIds;
import ai.finerewards.core.prompts.PromptInputException;
import ai.finerewards.core.prompts.PromptIssue;
import ai.finerewards.core.prompts.PromptValidationReport;
import ai.finerewards.core.prompts.PromptValidationReport.Example;
import ai.finerewards.core.prompts.PromptsConfig;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SchemaValidator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every prompt format read from real files, each bad-input case counted, each policy honoured. */
class PromptSourceTest extends SparkTestBase {

  @TempDir Path tmp;

  private static PromptsConfig config(Path path, InvalidPromptPolicy policy) {
    return new PromptsConfig(path.toString(), PromptFormat.AUTO, "prompt", "prompt_id", policy, 5);
  }

  private Path file(String name, byte[] bytes) throws IOException {
    Path p = tmp.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private Path file(String name, String text) throws IOException {
    return file(name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** (prompt_id, prompt, derived, source_row) of the result, in input order. */
  private static List<String> rows(Dataset<Row> prompts) {
    return prompts.orderBy("source_file", "source_row").collectAsList().stream()
        .map(r -> r.getString(1) + "|" + r.getString(2) + "|" + r.getBoolean(3) + "|" + r.getLong(5))
        .toList();
  }

  private static List<Long> exampleRows(PromptValidationReport report, PromptIssue issue) {
    return report.examples(issue).stream().map(Example::row).toList();
  }

  @Test
  void textFileLineByLineWithExactLineNumbers() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("\uFEFFa cat on a mat\r\n".getBytes(StandardCharsets.UTF_8)); // BOM, CRLF
    b.writeBytes("\n   \n".getBytes(StandardCharsets.UTF_8));                   // empty, blank
    b.writeBytes("a cat  on a mat\n".getBytes(StandardCharsets.UTF_8));        // duplicate after normalising
    b.writeBytes(new byte[] {'c', 'a', 'f', (byte) 0xff, '\n'});               // not UTF-8
    b.writeBytes("a dog\n".getBytes(StandardCharsets.UTF_8));                   // final newline: no extra line
    Path p = file("prompts.txt", b.toByteArray());

    PromptSource.Result r = PromptSource.read(spark, config(p, InvalidPromptPolicy.SKIP), 0);

    assertThat(rows(r.prompts())).containsExactly(
        "b2281618d7e4848f|a cat on a mat|true|1",
        PromptIds.derive("a dog") + "|a dog|true|6");
    PromptValidationReport rep = r.report();
    assertThat(rep.rowsRead()).isEqualTo(6);
    assertThat(exampleRows(rep, PromptIssue.BLANK_PROMPT)).containsExactly(2L, 3L);
    assertThat(exampleRows(rep, PromptIssue.DUPLICATE_PROMPT)).containsExactly(4L);
    assertThat(exampleRows(rep, PromptIssue.UNDECODABLE)).containsExactly(5L);
    assertThat(rep.summary()).contains(p.getFileName() + " line 5: invalid UTF-8");
    assertThat(r.prompts().first().getString(4)).endsWith("/prompts.txt");
  }

  @Test
  void compressedTextIsReadThroughItsCodec() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write("a cat\na dog\n".getBytes(StandardCharsets.UTF_8));
    }
    Path p = file("prompts.txt.gz", gz.toByteArray());
    PromptSource.Result r = PromptSource.read(spark, config(p, InvalidPromptPolicy.FAIL), 0);
    assertThat(rows(r.prompts())).containsExactly(
        PromptIds.derive("a cat") + "|a cat|true|1", PromptIds.derive("a dog") + "|a dog|true|2");
  }

  @Test
  void failPolicyStopsWithTheReport() throws IOException {
    Path p = file("p.txt", "a cat\n\na dog\n");
    assertThatThrownBy(() -> PromptSource.read(spark, config(p, InvalidPromptPolicy.FAIL), 0))
        .isInstanceOf(InvalidPromptsException.class)
        .hasMessageContaining("has 1 invalid records and finerewards.prompts.on-invalid = fail")
        .hasMessageContaining("empty or blank prompts: 1")
        .hasMessageContaining("p.txt line 2: prompt is empty");
  }

  @Test
  void jsonLinesWithGivenNumericMissingAndDuplicateIdsAndMalformedLines() throws IOException {
    Path p = file("prompts.jsonl", String.join("\n",
        "{\"prompt_id\": \"p1\", \"prompt\": \"a cat\"}",
        "{\"prompt_id\": 7, \"prompt\": \"a dog\", \"extra\": 1}",
        "{\"prompt\": \"a bird\"}",
        "{\"prompt_id\": \"p1\", \"prompt\": \"a horse\"}",
        "{\"prompt_id\": \"p9\", \"prompt\": null}",
        "{\"prompt_id\": \"p10\"}",
        "{\"prompt\": \"broken",
        "",
        "{\"prompt_id\": \"p11\", \"prompt\": \"  \"}",
        "{\"prompt_id\": \"p12\", \"prompt\": \"a cat\"}",
        "[{\"prompt\": \"a cow\"}]",
        "\"a cow\"") + "\n");

    PromptSource.Result r = PromptSource.read(spark, config(p, InvalidPromptPolicy.SKIP), 2);

    assertThat(rows(r.prompts())).containsExactly(
        "p1|a cat|false|1", "7|a dog|false|2", PromptIds.derive("a bird") + "|a bird|true|3");
    PromptValidationReport rep = r.report();
    assertThat(rep.rowsRead()).isEqualTo(12);
    assertThat(exampleRows(rep, PromptIssue.DUPLICATE_ID)).containsExactly(4L);
    assertThat(exampleRows(rep, PromptIssue.NULL_PROMPT)).containsExactly(5L, 6L);
    assertThat(exampleRows(rep, PromptIssue.UNDECODABLE)).containsExactly(7L, 11L, 12L);
    assertThat(rep.examples(PromptIssue.UNDECODABLE).get(0).detail()).isEqualTo("'{\"prompt\": \"broken'");
    assertThat(exampleRows(rep, PromptIssue.BLANK_PROMPT)).containsExactly(8L, 9L);
    assertThat(exampleRows(rep, PromptIssue.DUPLICATE_PROMPT)).containsExactly(10L);
    assertThat(r.prompts().select("round").distinct().collectAsList()).containsExactly(RowFactory.create(2));
  }

  @Test
  void csvWithQuotingMultiLineFieldsAndMalformedRecords() throws IOException {
    Path p = file("prompts.csv", String.join("\n",
        "prompt_id,prompt",
        "a,\"a cat, sitting\"",
        "b,\"a \"\"quoted\"\" dog\"",
        "c,\"two",
        "lines\"",
        "d,a bird,unexpected",
        "e,",
        "a,a horse") + "\n");

    PromptSource.Result r = PromptSource.read(spark, config(p, InvalidPromptPolicy.SKIP), 0);

    assertThat(rows(r.prompts())).containsExactly(
        "a|a cat, sitting|false|1", "b|a \"quoted\" dog|false|2", "c|two\nlines|false|3");
    PromptValidationReport rep = r.report();
    assertThat(rep.rowsRead()).isEqualTo(6);
    assertThat(exampleRows(rep, PromptIssue.UNDECODABLE)).containsExactly(4L);
    assertThat(exampleRows(rep, PromptIssue.NULL_PROMPT)).containsExactly(5L);
    assertThat(exampleRows(rep, PromptIssue.DUPLICATE_ID)).containsExactly(6L);
  }

  @Test
  void csvRowNumbersRestartInEachFileOfADirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("csvs"));
    Files.writeString(dir.resolve("a.csv"), "prompt\na cat\n\"a\ndog\"\na cow\n");
    Files.writeString(dir.resolve("b.csv"), "prompt\na bird\na fish\n");
    PromptSource.Result r = PromptSource.read(spark, config(dir, InvalidPromptPolicy.FAIL), 0);
    assertThat(rows(r.prompts())).extracting(s -> s.substring(17)).containsExactly(
        "a cat|true|1", "a\ndog|true|2", "a cow|true|3", "a bird|true|1", "a fish|true|2");
  }

  @Test
  void tsvWithoutIdColumnDerivesIds() throws IOException {
    Path p = file("prompts.tsv", "prompt\tsource\na cat\tcoco\na dog\tcoco\n");
    PromptSource.Result r = PromptSource.read(spark, config(p, InvalidPromptPolicy.FAIL), 0);
    assertThat(rows(r.prompts())).containsExactly(
        PromptIds.derive("a cat") + "|a cat|true|1", PromptIds.derive("a dog") + "|a dog|true|2");
    assertThat(r.report().hasIssues()).isFalse();
  }

  @Test
  void parquetWithIntegerIdsAndConfiguredColumnNames() {
    StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
    List<Row> data = List.of(
        RowFactory.create(1L, "a cat"), RowFactory.create(2L, null), RowFactory.create(3L, "a dog"),
        RowFactory.create(1L, "a cow"));
    Path p = tmp.resolve("prompts.parquet");
    spark.createDataFrame(data, schema).coalesce(1).write().parquet(p.toString());
    PromptsConfig c = new PromptsConfig(p.toString(), PromptFormat.AUTO, "text", "id", InvalidPromptPolicy.SKIP, 5);

    PromptSource.Result r = PromptSource.read(spark, c, 1);

    assertThat(rows(r.prompts())).containsExactly("1|a cat|false|1", "3|a dog|false|3");
    assertThat(exampleRows(r.report(), PromptIssue.NULL_PROMPT)).containsExactly(2L);
    assertThat(exampleRows(r.report(), PromptIssue.DUPLICATE_ID)).containsExactly(4L);
    assertThat(r.report().examples(PromptIssue.NULL_PROMPT).get(0).file()).contains("prompts.parquet/part-");
  }

  @Test
  void aMissingPromptColumnIsFatalAndNamesTheFileAndTheColumnsFound() throws IOException {
    Path csv = file("wrong.csv", "id,text\n1,a cat\n");
    assertThatThrownBy(() -> PromptSource.read(spark, config(csv, InvalidPromptPolicy.SKIP), 0))
        .isInstanceOf(PromptInputException.class)
        .hasMessage("prompt input " + csv + " has no column 'prompt' (finerewards.prompts.column); columns found: [id, text]");
    Path jsonl = file("wrong.jsonl", "{\"caption\": \"a cat\"}\n{\"id\": 1}\n");
    assertThatThrownBy(() -> PromptSource.read(spark, config(jsonl, InvalidPromptPolicy.SKIP), 0))
        .hasMessage("prompt input " + jsonl + " has no column 'prompt' (finerewards.prompts.column); columns found: [caption, id]");
    Path parquet = tmp.resolve("wrong.parquet");
    spark.range(2).write().parquet(parquet.toString());
    assertThatThrownBy(() -> PromptSource.read(spark, config(parquet, InvalidPromptPolicy.SKIP), 0))
        .hasMessageContaining("has no column 'prompt' (finerewards.prompts.column); columns found: [id]");
  }

  @Test
  void aDirectoryOfTextFilesIsReadInNameOrderAndTheResultHoldsTheContract() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("in"));
    Files.writeString(dir.resolve("b.txt"), "a dog\na cat\n");
    Files.writeString(dir.resolve("a.txt"), "a cat\n");
    Files.writeString(dir.resolve("_SUCCESS"), "");
    PromptSource.Result r = PromptSource.read(spark, config(dir, InvalidPromptPolicy.SKIP), 0);

    assertThat(rows(r.prompts())).containsExactly(
        PromptIds.derive("a cat") + "|a cat|true|1", PromptIds.derive("a dog") + "|a dog|true|1");
    assertThat(exampleRows(r.report(), PromptIssue.DUPLICATE_PROMPT)).containsExactly(2L);
    assertThat(r.report().examples(PromptIssue.DUPLICATE_PROMPT).get(0).file()).endsWith("b.txt");

    SchemaValidator.validateForWrite(Tables.PROMPTS, r.prompts().schema());
    String out = tmp.resolve("table").toString();
    r.prompts().write().partitionBy("round").parquet(out);
    SchemaValidator.validateForRead(Tables.PROMPTS, spark.read().parquet(out).schema());
  }

  @Test
  void aMissingPathOrUnknownExtensionIsFatal() throws IOException {
    assertThatThrownBy(() -> PromptSource.read(spark, config(tmp.resolve("nope.txt"), InvalidPromptPolicy.SKIP), 0))
        .isInstanceOf(PromptInputException.class)
        .hasMessageContaining("nope.txt does not exist (finerewards.prompts.path)");
    Path xlsx = file("p.xlsx", "x");
    assertThatThrownBy(() -> PromptSource.read(spark, config(xlsx, InvalidPromptPolicy.SKIP), 0))
        .hasMessageContaining("cannot tell the prompt format of");
  }
}
