package ai.finerewards.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigLoaderTest {
  @TempDir Path tmp;

  private final PipelineConfigLoader loader = new PipelineConfigLoader();

  @Test
  void defaultsComeFromReferenceConf() {
    Config c = loader.defaults();
    RunConfig run = RunConfig.from(PipelineConfigLoader.section(c, "run"));
    assertThat(run).isEqualTo(new RunConfig("runs/demo", 2, 20240101L));
    ModelsConfig models = ModelsConfig.from(PipelineConfigLoader.section(c, "models"));
    assertThat(models.directory("diffusion")).isEqualTo("models/tiny/diffusion");
    assertThat(models.device()).isEqualTo("auto");
  }

  @Test
  void userFileThenSetsOverrideInOrder() throws IOException {
    Path user = tmp.resolve("user.conf");
    Files.writeString(user, "finerewards.run { rounds = 3, root = \"/data/run\" }\n"
        + "finerewards.models.diffusion = ${finerewards.run.root}\"/models/sd15\"\n");
    Config c = loader.load(user.toString(), List.of(
        "run.rounds=5", "finerewards.run.base-seed = 7", "run.rounds=4"));
    RunConfig run = RunConfig.from(PipelineConfigLoader.section(c, "run"));
    assertThat(run).isEqualTo(new RunConfig("/data/run", 4, 7L));
    // A substitution in the user file resolves against the merged config.
    assertThat(c.getString("finerewards.models.diffusion")).isEqualTo("/data/run/models/sd15");
  }

  @Test
  void setValuesParseAsHoconButUrisStayVerbatim() {
    Config c = loader.load(null, List.of(
        "run.root=hdfs://namenode:8020/runs/a#b",
        "model-cache.local-schemes=[file, hdfs]",
        "models.dtype=\"float16\""));
    assertThat(c.getString("finerewards.run.root")).isEqualTo("hdfs://namenode:8020/runs/a#b");
    assertThat(c.getStringList("finerewards.model-cache.local-schemes"))
        .containsExactly("file", "hdfs");
    assertThat(c.getString("finerewards.models.dtype")).isEqualTo("float16");
  }

  @Test
  void unknownSetKeyNamesKeyAndNearestKnownKey() {
    assertThatThrownBy(() -> loader.load(null, List.of("run.rouns=3")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.run.rouns")
        .hasMessageContaining("nearest known key: finerewards.run.rounds")
        .hasMessageContaining("--set run.rouns");
  }

  @Test
  void unknownKeyInUserFileNamesTheFile() throws IOException {
    Path user = tmp.resolve("typo.conf");
    Files.writeString(user, "finerewards {\n  models {\n    difusion = \"x\"\n  }\n}\n");
    assertThatThrownBy(() -> loader.load(user.toString(), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.models.difusion")
        .hasMessageContaining("typo.conf")
        .hasMessageContaining("nearest known key: finerewards.models.diffusion");
  }

  @Test
  void scalarWhereSectionExpectedIsRejected() {
    assertThatThrownBy(() -> loader.load(null, List.of("run=5")))
        .isInstanceOf(ConfigError.class)
        .hasMessageStartingWith("config key finerewards.run = 5: expected a section");
  }

  @Test
  void malformedSetIsRejected() {
    assertThatThrownBy(() -> loader.load(null, List.of("run.rounds")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--set key=value");
  }

  @Test
  void keysOutsideFinerewardsAreLeftAlone() throws IOException {
    Path user = tmp.resolve("spark.conf");
    Files.writeString(user, "spark.executor.memory = 4g\n");
    assertThat(loader.load(user.toString(), List.of()).getString("spark.executor.memory"))
        .isEqualTo("4g");
  }

  @Test
  void openMapAcceptsNewKeys() {
    Config ref = ConfigFactory.parseString(
        "finerewards {\n  rank {\n    # weights by reward name @open\n    weights { caption = 1.0 }\n  }\n}\n");
    PipelineConfigLoader l = new PipelineConfigLoader(ref, new Configuration());
    Config c = l.load(null, List.of("rank.weights.sam=0.5", "rank.weights.\"a.b\"=2"));
    assertThat(c.getDouble("finerewards.rank.weights.sam")).isEqualTo(0.5);
    assertThat(c.getConfig("finerewards.rank.weights").root().get("a.b").unwrapped()).isEqualTo(2);
    assertThatThrownBy(() -> l.load(null, List.of("rank.weight.sam=0.5")))
        .isInstanceOf(ConfigError.class);
  }

  @Test
  void userFileThroughHadoopUri() throws IOException {
    Path user = tmp.resolve("hadoop.conf");
    Files.writeString(user, "finerewards.run.rounds = 9\n");
    Config c = loader.load(user.toUri().toString(), List.of());
    assertThat(c.getInt("finerewards.run.rounds")).isEqualTo(9);
    // Any non-file scheme goes through Hadoop's FileSystem; LocalFileSystem under its own name.
    Config viaHadoop = new PipelineConfigLoader(
            ConfigFactory.parseResources("reference.conf"), localAsRemote())
        .load("localfs://" + user, List.of());
    assertThat(viaHadoop.getInt("finerewards.run.rounds")).isEqualTo(9);
  }

  @Test
  void missingUserFileNamesIt() {
    String missing = tmp.resolve("nope.conf").toString();
    assertThatThrownBy(() -> loader.load(missing, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.conf");
    assertThatThrownBy(() -> new PipelineConfigLoader(
            ConfigFactory.parseResources("reference.conf"), localAsRemote())
        .load("localfs://" + missing, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("localfs://" + missing);
  }

  @Test
  void runConfigValidates() {
    Config c = loader.load(null, List.of("run.rounds=0"));
    assertThatThrownBy(() -> RunConfig.from(PipelineConfigLoader.section(c, "run")))
        .isInstanceOf(ConfigError.class)
        .hasMessage("config key finerewards.run.rounds = 0: expected an integer >= 1");
    Config c2 = loader.load(null, List.of("run.rounds=two"));
    assertThatThrownBy(() -> RunConfig.from(PipelineConfigLoader.section(c2, "run")))
        .hasMessage("config key finerewards.run.rounds = \"two\": expected an integer >= 1");
  }

  @Test
  void modelsConfigRejectsBadDevice() {
    Config c = loader.load(null, List.of("models.device=tpu"));
    assertThatThrownBy(() -> ModelsConfig.from(PipelineConfigLoader.section(c, "models")))
        .hasMessage("config key finerewards.models.device = \"tpu\": expected one of auto, cpu, gpu");
  }

  /** Hadoop's LocalFileSystem registered under the scheme "localfs" (see LocalAsRemoteFileSystem). */
  static Configuration localAsRemote() {
    Configuration conf = new Configuration();
    conf.set("fs.localfs.impl", ai.finerewards.core.model.LocalAsRemoteFileSystem.class.getName());
    conf.setBoolean("fs.localfs.impl.disable.cache", true);
    return conf;
  }

  @Test
  void theShippedReferenceOpensTheMapsKeyedByRewardName() {
    Config c = new PipelineConfigLoader().load(null,
        List.of("rank.weights.sam_reward=2", "rank.higher-is-better.caption_reward=false"));
    assertThat(c.getDouble("finerewards.rank.weights.sam_reward")).isEqualTo(2.0);
    assertThat(c.getBoolean("finerewards.rank.higher-is-better.caption_reward")).isFalse();
  }
}
