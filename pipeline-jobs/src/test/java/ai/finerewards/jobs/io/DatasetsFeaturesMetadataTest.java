package ai.finerewards.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.HuggingFaceFeatures;
import ai.finerewards.schemas.TableContract;
import ai.finerewards.schemas.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The datasets features in the footers of image tables, written through RoundTables on real Spark. */
class DatasetsFeaturesMetadataTest extends SparkTestBase {
  static final TableContract IMAGES = new TableContract("images", 1, "test table", "generate", List.of("caption"),
      List.of("round"), List.of("round", "id"),
      List.of(
          ColumnSpec.required("round", Primitive.INT, "round", ""),
          ColumnSpec.required("id", Primitive.STRING, "id", ""),
          ColumnSpec.required("image", Tables.IMAGE, "an image", "")));

  static final StructType SCHEMA = new StructType()
      .add("round", DataTypes.IntegerType, false)
      .add("id", DataTypes.StringType, false)
      .add("image", new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType), false);

  @TempDir Path tmp;

  static Map<String, String> footer(String file) throws IOException {
    return fileMetaData(file).getKeyValueMetaData();
  }

  static org.apache.parquet.hadoop.metadata.FileMetaData fileMetaData(String file) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file), new Configuration()))) {
      return r.getFooter().getFileMetaData();
    }
  }

  @Test
  void everyFileOfAnImageTableCarriesItsFeaturesBesideSparksOwnKeysAndTheDataIsUnchanged() throws IOException {
    RoundTables tables = new RoundTables(spark, tmp.toUri().toString(), "test-version");
    List<Row> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(RowFactory.create(0, "id" + i, RowFactory.create(new byte[] {(byte) i, 1, 2}, "id" + i + ".png")));
    }
    CommitMarker m = tables.overwriteRound(spark.createDataFrame(rows, SCHEMA).repartition(3), IMAGES, 0, "generate", "fp");

    List<String> files = tables.store().dataFiles(m);
    assertThat(files).hasSizeGreaterThan(1);
    for (String f : files) {
      Map<String, String> kv = footer(f);
      assertThat(kv).containsEntry(HuggingFaceFeatures.METADATA_KEY, HuggingFaceFeatures.metadataJson(IMAGES))
          .containsKey("org.apache.spark.sql.parquet.row.metadata"); // Spark's schema survives
      // datasets takes a feature only when the Arrow field equals it, and its fields are nullable.
      org.apache.parquet.schema.MessageType schema = fileMetaData(f).getSchema();
      assertThat(schema.getType("image").getRepetition()).isEqualTo(org.apache.parquet.schema.Type.Repetition.OPTIONAL);
      assertThat(schema.getType("id").getRepetition()).isEqualTo(org.apache.parquet.schema.Type.Repetition.REQUIRED);
    }
    // No temporary file is left, and the commit marker lists the rewritten files with their sizes.
    try (var s = Files.list(tmp.resolve("images/round=0"))) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("footer-tmp"));
    }
    for (CommitMarker.DataFile f : m.files()) {
      assertThat(Files.size(tmp.resolve("images/round=0").resolve(f.name()))).isEqualTo(f.size());
    }
    List<Row> back = tables.read(IMAGES, 0, "generate").orderBy("id").collectAsList();
    assertThat(back).hasSize(30);
    for (Row r : back) {
      int i = Integer.parseInt(r.getString(r.fieldIndex("id")).substring(2));
      Row image = r.getStruct(r.fieldIndex("image"));
      assertThat((byte[]) image.get(0)).containsExactly((byte) i, 1, 2);
      assertThat(image.getString(1)).isEqualTo("id" + i + ".png");
    }
  }

  @Test
  void aNullImageStillFailsTheWriteThoughTheFileFieldIsNullable() {
    RoundTables tables = new RoundTables(spark, tmp.toUri().toString(), "test-version");
    StructType nullable = new StructType(new org.apache.spark.sql.types.StructField[] {SCHEMA.fields()[0], SCHEMA.fields()[1],
        SCHEMA.fields()[2].copy(SCHEMA.fields()[2].name(), SCHEMA.fields()[2].dataType(), true, SCHEMA.fields()[2].metadata())});
    List<Row> rows = List.of(RowFactory.create(0, "a", null));
    assertThatThrownBy(() -> tables.overwriteRound(spark.createDataFrame(rows, nullable), IMAGES, 0, "generate", "fp"))
        .hasStackTraceContaining("table images (write): column image: expected no nulls");
    assertThat(tables.store().committed("images", 0)).isEmpty();
  }

  @Test
  void aTableWithoutImagesKeepsSparksFooter() throws IOException {
    RoundTables tables = new RoundTables(spark, tmp.toUri().toString(), "test-version");
    CommitMarker m = tables.overwriteRound(RoundTablesTest.rows(0, 8, 1.0), RoundTablesTest.SCORES, 0, "score", "fp");
    for (String f : tables.store().dataFiles(m)) {
      assertThat(footer(f)).doesNotContainKey(HuggingFaceFeatures.METADATA_KEY);
    }
  }

  @Test
  void aFileThatIsNotParquetIsNamedInTheError() throws IOException {
    Path bad = Files.writeString(tmp.resolve("part-0.parquet"), "not parquet at all");
    assertThatThrownBy(() -> ParquetFooterMetadata.add(new org.apache.hadoop.fs.Path(bad.toUri()), new Configuration(), Map.of("k", "v")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no PAR1 at its end")
        .hasMessageContaining("part-0.parquet");
  }
}
