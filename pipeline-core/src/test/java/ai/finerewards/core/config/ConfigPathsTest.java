package ai.finerewards.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigPathsTest {
  @TempDir Path base;

  private final PipelineConfigLoader loader = new PipelineConfigLoader();

  private static String get(Config c, String key) {
    return c.getString(PipelineConfigLoader.ROOT + "." + key);
  }

  @Test
  void relativePathsBecomeFileUrisUnderTheBase() {
    Config c = ConfigPaths.absolutize(loader.load(null, List.of(
        "run.root=runs/x", "prompts.path=./conf/../conf/p.txt", "generate.lora=ckpt/round0",
        "segment.label-vocabulary=labels.txt")), base);
    String dir = base.toAbsolutePath().normalize().toUri().toString(); // ends with '/'
    assertThat(get(c, "run.root")).isEqualTo(dir + "runs/x");
    assertThat(get(c, "prompts.path")).isEqualTo(dir + "conf/p.txt");
    assertThat(get(c, "generate.lora")).isEqualTo(dir + "ckpt/round0");
    assertThat(get(c, "segment.label-vocabulary")).isEqualTo(dir + "labels.txt");
    for (String family : ModelsConfig.FAMILIES) {
      // reference.conf's defaults are relative (models/tiny/<family>).
      assertThat(get(c, "models." + family)).isEqualTo(dir + "models/tiny/" + family);
    }
    // Every rewritten value still reads through the records that check it.
    RunConfig.from(PipelineConfigLoader.section(c, "run"));
  }

  @Test
  void absolutePathsUrisAndKeywordsAreKept() {
    Config loaded = loader.load(null, List.of(
        "run.root=hdfs://nn:8020/runs/x", "prompts.path=/data/prompts.txt",
        "models.clip=s3a://bucket/clip", "models.llm=file:/opt/llm", "generate.lora=previous-round"));
    Config c = ConfigPaths.absolutize(loaded, base);
    assertThat(get(c, "run.root")).isEqualTo("hdfs://nn:8020/runs/x");
    assertThat(get(c, "prompts.path")).isEqualTo("/data/prompts.txt");
    assertThat(get(c, "models.clip")).isEqualTo("s3a://bucket/clip");
    assertThat(get(c, "models.llm")).isEqualTo("file:/opt/llm");
    assertThat(get(c, "generate.lora")).isEqualTo("previous-round");
    assertThat(get(c, "segment.label-vocabulary")).isEmpty();
    assertThat(ConfigPaths.absolutize(loader.load(null, List.of("generate.lora=none")), base)
        .getString("finerewards.generate.lora")).isEqualTo("none");
  }

  @Test
  void everyPathKeyIsAKeyOfReferenceConf() {
    List<String> known = loader.knownKeys();
    assertThat(known).containsAll(ConfigPaths.PATH_KEYS);
  }
}
