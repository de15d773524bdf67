package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.reward.ImageReward;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.caption.SampleFixtures;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.TableContract;
import ai.finerewards.schemas.Tables;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankJobTest extends SparkTestBase {
  @TempDir Path tmp;
  RoundTables tables;
  Path conf;

  @BeforeEach
  void setUp() throws Exception {
    conf = RunFixtures.conf(tmp, "");
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
  }

  /**
   * Prompt a: caption 0.9/0.5/0.5 gives ranks 1/2.5/2.5, sam 0.1/0.3/0.2 gives 3/1/2; rank sums
   * 4/3.5/4.5, so sample 1 wins (score -3.5), then 0 (-4), then 2 (-4.5). Prompt b: sample 0 has no
   * caption reward and is excluded; sample 1 alone ranks 1 on both (-2). Prompt c lacks its
   * llm_scores row and prompt d its captions row: each has no valid candidate.
   */
  void handMadeRound() {
    RunFixtures.captions(spark, tables, 0, "('a', 0, 0.9), ('a', 1, 0.5), ('a', 2, 0.5), ('b', 0, NULL), ('b', 1, 0.2), ('c', 0, 0.7)");
    RunFixtures.llmScores(spark, tables, 0, "('a', 0, 0.1), ('a', 1, 0.3), ('a', 2, 0.2), ('b', 0, 0.0), ('b', 1, 0.1), ('d', 0, 0.4)");
  }

  List<Object[]> ranked() {
    return rowsToJava(tables.read(Tables.RANKED, 0, "rank")
        .selectExpr("prompt_id", "sample_idx", "rewards['caption_reward']", "rewards['sam_reward']",
            "reward_ranks['caption_reward']", "reward_ranks['sam_reward']", "assembly", "assembled_score",
            "rank_in_prompt", "selected", "excluded_reason", "round")
        .orderBy("prompt_id", "sample_idx").collectAsList());
  }

  @Test
  void ranksEachPromptAndWritesEveryCandidateOnce() {
    handMadeRound();
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), "--round", "0");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertEquals("ranked round 0", rows(
        row("a", 0, 0.9, 0.1, 1.0, 3.0, "rank_sum", -4.0, 2, false, null, 0),
        row("a", 1, 0.5, 0.3, 2.5, 1.0, "rank_sum", -3.5, 1, true, null, 0),
        row("a", 2, 0.5, 0.2, 2.5, 2.0, "rank_sum", -4.5, 3, false, null, 0),
        row("b", 0, null, 0.0, null, null, "rank_sum", null, null, false, "missing_reward:caption_reward", 0),
        row("b", 1, 0.2, 0.1, 1.0, 1.0, "rank_sum", -2.0, 1, true, null, 0),
        row("c", 0, 0.7, null, null, null, "rank_sum", null, null, false, "missing_reward:sam_reward", 0),
        row("d", 0, null, 0.4, null, null, "rank_sum", null, null, false, "missing_reward:caption_reward", 0)),
        ranked());
    assertThat(r.out())
        .contains("rank: 4 prompts, 7 candidates, 4 ranked, 3 excluded")
        .contains("excluded missing_reward:caption_reward: 2")
        .contains("prompts with no valid candidate: 2, e.g. [c, d]")
        .containsPattern("rank round=0: 7/7 rows [0-9,]+ rows/s [0-9.]+s");
  }

  @Test
  void rerunningRankForARoundLeavesExactlyOneCopyOfEachRow() {
    handMadeRound();
    for (int i = 0; i < 3; i++) {
      CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), "--set", "rank.keep-per-prompt=" + (1 + i));
      assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    }
    Dataset<Row> ranked = tables.read(Tables.RANKED, 0, "rank");
    assertThat(ranked.count()).isEqualTo(7);
    assertThat(ranked.select("prompt_id", "sample_idx").distinct().count()).isEqualTo(7);
    // The last run (keep 3) selects all three valid candidates of a and the one of b.
    assertThat(ranked.filter("selected").count()).isEqualTo(4);
  }

  @Test
  void globalTopFractionKeepsTheBestSelectedCandidatesOfTheRound() {
    handMadeRound();
    // Selected in prompt: a/1 (-3.5) and b/1 (-2.0); ceil(0.5 * 2) = 1 keeps b/1 only.
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), "--set", "rank.global-top-fraction=0.5");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertEquals("selected", rows(row("b", 1)),
        rowsToJava(tables.read(Tables.RANKED, 0, "rank").filter("selected").select("prompt_id", "sample_idx").collectAsList()));
  }

  static final TableContract CANDIDATES_MISSING_SAM = new TableContract("candidates", 1, "test", "test", List.of(),
      List.of("round"), List.of("round", "prompt_id", "sample_idx"), List.of(
          new ColumnSpec("round", Primitive.INT, false, "", ""),
          new ColumnSpec("prompt_id", Primitive.STRING, false, "", ""),
          new ColumnSpec("sample_idx", Primitive.INT, false, "", ""),
          new ColumnSpec("caption_reward", Primitive.DOUBLE, true, "", "")));

  static final TableContract CANDIDATES_STRING_SAM = new TableContract("candidates", 1, "test", "test", List.of(),
      List.of("round"), List.of("round", "prompt_id", "sample_idx"), List.of(
          new ColumnSpec("round", Primitive.INT, false, "", ""),
          new ColumnSpec("prompt_id", Primitive.STRING, false, "", ""),
          new ColumnSpec("sample_idx", Primitive.INT, false, "", ""),
          new ColumnSpec("caption_reward", Primitive.DOUBLE, true, "", ""),
          new ColumnSpec("sam_reward", Primitive.STRING, true, "", "")));

  static final String GENERIC_INPUT = "--set";
  static final String GENERIC_INPUT_VALUE = "jobs.rank-inputs=[{table = candidates, columns = [caption_reward, sam_reward]}]";

  @Test
  void aMissingRewardColumnFailsNamingTableAndColumn() {
    tables.overwriteRound(spark.sql("SELECT 0 AS round, 'a' AS prompt_id, 0 AS sample_idx, 0.5D AS caption_reward"),
        CANDIDATES_MISSING_SAM, 0, "test", "x");
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), GENERIC_INPUT, GENERIC_INPUT_VALUE);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("table candidates round 0 (read by rank): column sam_reward: expected double, found no such column");
  }

  @Test
  void aMistypedRewardColumnFailsNamingTableAndColumn() {
    tables.overwriteRound(spark.sql("SELECT 0 AS round, 'a' AS prompt_id, 0 AS sample_idx, 0.5D AS caption_reward, 'high' AS sam_reward"),
        CANDIDATES_STRING_SAM, 0, "test", "x");
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(), GENERIC_INPUT, GENERIC_INPUT_VALUE);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("table candidates round 0 (read by rank): column sam_reward: expected double, found string");
  }

  @Test
  void aMissingInputPartitionNamesTheTableAndTheStageToRun() {
    RunFixtures.captions(spark, tables, 0, "('a', 0, 0.9)");
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("table llm_scores round 0 is not committed").contains("run stage 'score' for round 0 first");
  }

  @Test
  void builtInImageRewardsComeFromTheSampleImagesAndAnUndecodableImageIsExcluded() throws Exception {
    byte[] noise = SampleFixtures.png(16, 16, 1);
    byte[] flat = flatPng(16, 16, 200);
    byte[] dark = flatPng(16, 16, 20);
    SampleFixtures.write(spark, tables, 0, List.of(
        new SampleFixtures.Sample("p", 0, "a prompt", noise),
        new SampleFixtures.Sample("p", 1, "a prompt", flat),
        new SampleFixtures.Sample("p", 2, "a prompt", "not a png".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        new SampleFixtures.Sample("q", 0, "another", dark)));
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(),
        "--set", "rank.rewards=[jpeg_compressibility, brightness]",
        "--set", "rank.weights.brightness=0",
        "--set", "jobs.rank-inputs=[{table = samples, columns = [brightness, jpeg_compressibility]}]");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);

    List<Object[]> rows = rowsToJava(tables.read(Tables.RANKED, 0, "rank")
        .selectExpr("prompt_id", "sample_idx", "rewards['brightness']", "rewards['jpeg_compressibility']",
            "rank_in_prompt", "selected", "excluded_reason")
        .orderBy("prompt_id", "sample_idx").collectAsList());
    double[] expectedBrightness = {brightness(noise), 200 / 255.0, Double.NaN, 20 / 255.0};
    double[] expectedJpeg = {jpeg(noise), jpeg(flat), Double.NaN, jpeg(dark)};
    for (int i = 0; i < 4; i++) {
      Object[] row = rows.get(i);
      if (i == 2) {
        assertThat(row[2]).isNull();
        assertThat(row[6]).isEqualTo("missing_reward:jpeg_compressibility");
        continue;
      }
      assertThat((Double) row[2]).isCloseTo(expectedBrightness[i], org.assertj.core.data.Offset.offset(1e-12));
      assertThat((Double) row[3]).isEqualTo(expectedJpeg[i]);
    }
    // The flat image compresses far better than noise: it wins prompt p on JPEG compressibility.
    assertThat(rows.get(1)[4]).isEqualTo(1);
    assertThat(rows.get(1)[5]).isEqualTo(true);
    assertThat(rows.get(0)[5]).isEqualTo(false);
    assertThat(r.out())
        .contains("rank: 2 prompts, 4 candidates, 3 ranked, 1 excluded")
        .containsPattern("reward brightness: mean 0\\.[0-9]{6} over 3 candidates, 0\\.[0-9]{6} over 2 selected")
        .containsPattern("reward jpeg_compressibility: mean -[0-9.]+ over 3 candidates");
  }

  @Test
  void onlyBuiltInRewardsCanComeFromTheSamplesTable() {
    CliResult r = RunFixtures.cli(spark, "rank", "--conf", conf.toString(),
        "--set", "jobs.rank-inputs=[{table = samples, columns = [caption_reward, sam_reward]}]");
    assertThat(r.exitCode()).isEqualTo(78);
    assertThat(r.err()).contains("jobs.rank-inputs = caption_reward")
        .contains("a built-in image reward for table samples (brightness, jpeg_compressibility)");
  }

  private static double brightness(byte[] png) throws Exception {
    return ImageReward.BRIGHTNESS.score(ImageDecoder.decode(png));
  }

  private static double jpeg(byte[] png) throws Exception {
    return ImageReward.JPEG_COMPRESSIBILITY.score(ImageDecoder.decode(png));
  }

  private static byte[] flatPng(int w, int h, int grey) throws Exception {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, (grey << 16) | (grey << 8) | grey);
      }
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
