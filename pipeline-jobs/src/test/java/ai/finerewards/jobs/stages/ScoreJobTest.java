package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.finerewards.core.llm.LlmScorer;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreJobTest extends SparkTestBase {
  static final String SCENE_A = "a red kite over a snowy mountain";
  static final String SCENE_B = "a bus on a city street";
  @TempDir Path tmp;
  RoundTables tables;
  Path conf;

  @BeforeEach
  void setUp() throws Exception {
    conf = RunFixtures.conf(tmp, SegmentScoreFixtures.modelsConf() + "finerewards.score.no-labels-reward = 0.1\n");
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
  }

  private static Row part(int idx, String label) {
    return RowFactory.create(idx, label, label == null ? null : 0.5, 0.25, RowFactory.create(0, 0, 2, 2), 0.97, 0.9,
        RowFactory.create(new Integer[] {2, 2}, "04"));
  }

  private static Row segments(String promptId, int sampleIdx, String error, String... labels) {
    Row[] parts = null;
    if (error == null) {
      parts = new Row[labels.length];
      for (int i = 0; i < labels.length; i++) {
        parts[i] = part(i, labels[i]);
      }
    }
    return RowFactory.create(0, promptId, sampleIdx, parts, parts == null ? 0 : parts.length, "tiny-segmenter@x",
        "tiny-clip@x", "0123456789abcdef", error, Timestamp.from(Instant.now()));
  }

  /** a/0 and b/0 share the label kite but not the prompt; a/0 repeats kite; c has no prompts row. */
  void handMadeRound() {
    List<Row> rows = List.of(
        segments("a", 0, null, "kite", "mountain", "kite", null),
        segments("a", 1, null, "mountain", "sky"),
        segments("a", 2, null, (String) null),
        segments("b", 0, null, "bus", "kite"),
        segments("b", 1, "undecodable image: no bytes"),
        segments("c", 0, null, "tree"));
    tables.overwriteRound(spark.createDataFrame(rows, SparkSchemas.toStructType(Tables.SEGMENTS)), Tables.SEGMENTS, 0,
        "segment", "segments-fp");
    SegmentScoreFixtures.prompts(spark, tables, 0, List.of(new String[] {"a", SCENE_A}, new String[] {"b", SCENE_B}));
  }

  /** Expected scores of each pair, asked one at a time outside Spark. */
  Map<String, Double> direct(List<String[]> pairs) throws Exception {
    Config root = ConfigFactory.parseFile(conf.toFile()).withFallback(ConfigFactory.defaultReference()).resolve();
    Map<String, Double> out = new HashMap<>();
    try (LlmScorer s = LlmScorer.open(ModelRuntime.from(root), ScoreConfig.from(root.getConfig("finerewards.score")),
        List.of())) {
      for (String[] p : pairs) {
        out.put(p[0] + "|" + p[1], s.score(List.of(new LlmScorer.Pair(p[0], p[1]))).get(0).score().expectedScore());
      }
    }
    return out;
  }

  @Test
  void eachDistinctPairIsAskedOnceAndJoinedBackToEveryImage() throws Exception {
    handMadeRound();
    long passesBefore = LlmScorer.forwardPasses();
    CliResult r = RunFixtures.cli(spark, "score", "--conf", conf.toString(), "--round", "0");
    long passes = LlmScorer.forwardPasses() - passesBefore;
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).contains("score: 6 images, 6 (image, label) pairs, 5 distinct (prompt, label) questions, "
        + "1 with no labels, 2 errors");
    // 5 distinct questions, one unpadded forward pass each (a score must not depend on its batch).
    assertThat(passes).isEqualTo(5L);

    Map<String, Double> e = direct(List.of(new String[] {SCENE_A, "kite"}, new String[] {SCENE_A, "mountain"},
        new String[] {SCENE_A, "sky"}, new String[] {SCENE_B, "bus"}, new String[] {SCENE_B, "kite"}));
    List<Row> rows = tables.read(Tables.LLM_SCORES, 0, "score").orderBy("prompt_id", "sample_idx").collectAsList();
    assertThat(rows).hasSize(6);
    checkScored(rows.get(0), List.of("kite", "mountain"), List.of(e.get(SCENE_A + "|kite"), e.get(SCENE_A + "|mountain")));
    checkScored(rows.get(1), List.of("mountain", "sky"), List.of(e.get(SCENE_A + "|mountain"), e.get(SCENE_A + "|sky")));
    Row none = rows.get(2);
    assertThat((boolean) none.getAs("no_labels")).isTrue();
    assertThat((double) none.getAs("sam_reward")).isEqualTo(0.1);
    assertThat(none.getList(none.fieldIndex("label_scores"))).isEmpty();
    checkScored(rows.get(3), List.of("bus", "kite"), List.of(e.get(SCENE_B + "|bus"), e.get(SCENE_B + "|kite")));
    assertThat(e.get(SCENE_B + "|kite")).as("the same label under another prompt is another question")
        .isNotEqualTo(e.get(SCENE_A + "|kite"));
    Row failed = rows.get(4);
    assertThat((String) failed.getAs("error")).contains("undecodable image");
    assertThat(failed.isNullAt(failed.fieldIndex("sam_reward"))).isTrue();
    Row orphan = rows.get(5);
    assertThat((String) orphan.getAs("error")).contains("prompt_id c missing from the prompts table");
  }

  private static void checkScored(Row row, List<String> labels, List<Double> expected) {
    assertThat((String) row.getAs("error")).isNull();
    assertThat((boolean) row.getAs("no_labels")).isFalse();
    assertThat((String) row.getAs("llm_model_id")).startsWith("tiny-llm@");
    List<Row> scores = row.getList(row.fieldIndex("label_scores"));
    List<String> got = new ArrayList<>();
    double sum = 0;
    for (int i = 0; i < scores.size(); i++) {
      Row s = scores.get(i);
      got.add(s.getAs("label"));
      double p1 = s.getAs("p1");
      double p2 = s.getAs("p2");
      double p3 = s.getAs("p3");
      assertThat(p1 + p2 + p3).isCloseTo(1.0, within(1e-12));
      assertThat((double) s.getAs("expected_score")).isCloseTo(p1 + 2 * p2 + 3 * p3, within(1e-12))
          // Asked alone outside Spark, the same pair gives the same bits: one pass per pair.
          .isEqualTo(expected.get(i));
      sum += (double) s.getAs("expected_score");
    }
    assertThat(got).isEqualTo(labels);
    assertThat((int) row.getAs("n_labels")).isEqualTo(labels.size());
    assertThat((double) row.getAs("sam_reward")).isCloseTo((sum / labels.size() - 2) / 2, within(1e-12));
  }
}
