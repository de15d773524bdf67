package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.jobs.rank.RankInputs;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped example configs load with only known keys, and the sections the jobs read parse. */
class ConfFilesTest {
  private static Path repo() {
    return Path.of(System.getProperty("finerewards.repo.root", "..")).toAbsolutePath().normalize();
  }

  @ParameterizedTest
  @ValueSource(strings = {"local.conf", "yarn.conf", "kubernetes-gpu.conf"})
  void exampleConfigLoadsAndParses(String name) {
    Config config = new PipelineConfigLoader().load(repo().resolve("conf").resolve(name).toString(), List.of());
    RunConfig run = RunConfig.from(PipelineConfigLoader.section(config, RunConfig.SECTION));
    assertThat(run.root()).isNotBlank();
    RankConfig rank = RankConfig.from(config.getConfig("finerewards.rank"));
    assertThat(RankInputs.from(config, rank).sources()).extracting(RankInputs.Source::table)
        .containsExactly("captions", "llm_scores");
  }

  @Test
  void localConfRunsUnderTheDemoRootOnLoopback() {
    Config config = new PipelineConfigLoader().load(repo().resolve("conf/local.conf").toString(), List.of());
    assertThat(config.getString("finerewards.run.root")).isEqualTo("runs/demo");
    assertThat(config.getString("finerewards.jobs.local-master")).isEqualTo("local[2]");
    assertThat(config.getConfig("finerewards.jobs.spark-conf").getString("\"spark.driver.host\"")).isEqualTo("127.0.0.1");
  }

  @Test
  void learningConfRanksByABuiltInRewardAndSkipsTheModelRewardStages() {
    Config config = new PipelineConfigLoader().load(repo().resolve("conf/learning.conf").toString(), List.of());
    assertThat(config.getString("finerewards.run.root")).isEqualTo("runs/learning");
    assertThat(config.getInt("finerewards.run.rounds")).isEqualTo(3);
    // Included from local.conf: the tiny models and the loopback Spark settings.
    assertThat(config.getString("finerewards.models.diffusion")).isEqualTo("models/tiny/diffusion");
    assertThat(config.getString("finerewards.jobs.local-master")).isEqualTo("local[2]");
    RankConfig rank = RankConfig.from(config.getConfig("finerewards.rank"));
    RankInputs inputs = RankInputs.from(config, rank);
    assertThat(inputs.sources()).extracting(RankInputs.Source::table).containsExactly("samples");
    assertThat(inputs.sources().get(0).suppliesImageRewards()).isTrue();
    assertThat(StageRunner.runStages(config)).extracting(ai.finerewards.core.run.Stage::cliName)
        .containsExactly("generate", "rank", "train", "evaluate", "report");
  }
}
