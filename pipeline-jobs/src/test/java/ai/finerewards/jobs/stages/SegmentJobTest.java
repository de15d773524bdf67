package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.segment.CocoRle;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentJobTest extends SparkTestBase {
  @TempDir Path tmp;
  RoundTables tables;
  Path conf;

  @BeforeEach
  void setUp() throws Exception {
    conf = RunFixtures.conf(tmp, SegmentScoreFixtures.modelsConf());
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
  }

  @Test
  void everySampleGetsOneSegmentsRowWithConsistentParts() {
    SegmentScoreFixtures.samples(spark, tables, 0, List.of("a", "b"), 3, true);
    CliResult r = RunFixtures.cli(spark, "segment", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).containsPattern("segment: 6 images, [0-9]+ parts, [0-9]+ labelled, 1 errors");

    List<Row> rows = tables.read(Tables.SEGMENTS, 0, "segment").orderBy("prompt_id", "sample_idx").collectAsList();
    assertThat(rows).hasSize(6);
    Row bad = rows.get(0);
    assertThat((String) bad.getAs("error")).startsWith("undecodable image");
    assertThat(bad.isNullAt(bad.fieldIndex("parts"))).isTrue();
    assertThat((int) bad.getAs("n_parts")).isZero();
    int totalParts = 0;
    for (Row row : rows.subList(1, 6)) {
      assertThat((String) row.getAs("error")).isNull();
      assertThat((String) row.getAs("segmenter_model_id")).startsWith("tiny-segmenter@");
      assertThat((String) row.getAs("label_vocabulary_id")).hasSize(16);
      List<Row> parts = row.getList(row.fieldIndex("parts"));
      assertThat((int) row.getAs("n_parts")).isEqualTo(parts.size());
      for (int i = 0; i < parts.size(); i++) {
        Row p = parts.get(i);
        assertThat((int) p.getAs("part_idx")).isEqualTo(i);
        assertThat((String) p.getAs("label")).isNotBlank();
        Row rle = p.getAs("mask_rle");
        List<Integer> size = rle.getList(0);
        assertThat(size).containsExactly(40, 56);
        boolean[] mask = CocoRle.decode(rle.getAs("counts"), 40, 56);
        int area = 0;
        for (boolean b : mask) {
          area += b ? 1 : 0;
        }
        assertThat((double) p.getAs("area_fraction")).isEqualTo(area / (40.0 * 56));
        Row box = p.getAs("bbox");
        assertThat((int) box.getAs("x1")).isGreaterThan(box.getAs("x0"));
      }
      totalParts += parts.size();
    }
    assertThat(totalParts).as("the loosened filters find parts on the tiny model").isPositive();
  }
}
