package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
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

}
