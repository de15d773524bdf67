package ai.finerewards.jobs.stages;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.caption.Blip2Captioner;
import ai.finerewards.core.clip.CaptionReward;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.clip.PromptEmbeddingMemo;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.caption.CaptionPartition;
import ai.finerewards.jobs.caption.SampleFixtures;
import ai.finerewards.jobs.caption.SampleFixtures.Sample;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The caption stage end to end on local[2] with the tiny models: a samples round written here
 * (PNG images encoded in the test, one corrupt, one missing), run through the CLI; every row's
 * caption and reward are recomputed with the core classes one image at a time.
 */
class CaptionJobTest extends SparkTestBase {
  @TempDir static Path models;
  static String modelsConf;
  @TempDir Path tmp;
  RoundTables tables;

  @org.junit.jupiter.api.BeforeAll
  static void copyModels() {
    modelsConf = SampleFixtures.tinyModelsConf(models);
  }

  @BeforeEach
  void setUp() {
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
    PromptEmbeddingMemo.clearAll(); // the JVM-wide memo would hide the count of this test's embeddings
  }

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  static ModelDirectory dir(String family) {
    return ModelDirectory.resolve(models.resolve(family).toString(), family,
        ModelCacheConfig.defaults(), new Configuration());
  }

  static List<Sample> samples(int prompts, int perPrompt) {
    List<Sample> out = new ArrayList<>();
    String[] texts = {"a cat sitting on the beach", "two dogs riding a bicycle", "a red bus in the rain"};
    for (int p = 0; p < prompts; p++) {
      for (int s = 0; s < perPrompt; s++) {
        out.add(new Sample("p" + p, s, texts[p % texts.length], SampleFixtures.png(24 + 8 * s, 40 - 4 * p, 31L * p + s)));
      }
    }
    return out;
  }

  @Test
  void outputRowsFollowTheContractsColumnOrder() {
    assertThat(CaptionPartition.SCHEMA.fieldNames()).containsExactly(
        "round", "prompt_id", "sample_idx", "caption", "caption_reward", "captioner_model_id", "clip_model_id",
        "error", "created_at");
    assertThat(CaptionPartition.SCHEMA).isEqualTo(SparkSchemas.toStructType(Tables.CAPTIONS));
  }

  @Test
  void captionsEverySampleAndRecordsUndecodableImages() throws Exception {
    List<Sample> samples = new ArrayList<>(samples(2, 3));
    samples.add(new Sample("p2", 0, "a red bus in the rain", new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2}));
    SampleFixtures.write(spark, tables, 0, samples);
    Path conf = RunFixtures.conf(tmp, modelsConf
        + "finerewards.caption { max-new-tokens = 8, batch-size = 2, max-error-fraction = 0.2 }\n");

    CliResult r = RunFixtures.cli(spark, "caption", "--conf", conf.toString(), "--round", "0");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(0);
    assertThat(r.out())
        .contains("caption: 7 samples, 6 captioned, 1 undecodable images (14.29%, limit 20.00%)")
        .contains("caption: 2 prompt embeddings computed for 2 distinct prompts of captioned samples")
        .contains("caption: error p2/0: undecodable image:");
    List<Row> rows = tables.read(Tables.CAPTIONS, 0, "caption").orderBy("prompt_id", "sample_idx").collectAsList();
    assertThat(rows).hasSize(7);

    String captionerId = ModelIds.of(dir("captioner"));
    String clipId = ModelIds.of(dir("clip"));
    try (Blip2Captioner captioner = Blip2Captioner.open(dir("captioner"), Device.cpu(), "auto");
        ClipTextEmbedder clip = ClipTextEmbedder.open(dir("clip"), Device.cpu(), "auto")) {
      for (int i = 0; i < 6; i++) {
        Sample s = samples.get(i);
        Row row = rows.get(i);
        assertThat(row.<String>getAs("prompt_id")).isEqualTo(s.promptId());
        assertThat(row.<Integer>getAs("sample_idx")).isEqualTo(s.sampleIdx());
        String expected = captioner.caption(List.of(ImageDecoder.decode(s.image())), 8).get(0).text();
        assertThat(row.<String>getAs("caption")).as("caption of %s/%d", s.promptId(), s.sampleIdx()).isEqualTo(expected);
        List<float[]> e = clip.embed(List.of(s.prompt(), expected));
        // One text per tower call: the job's reward is the directly computed one, bit for bit.
        assertThat(row.<Double>getAs("caption_reward")).isEqualTo(CaptionReward.cosine(e.get(0), e.get(1)));
        assertThat(row.<String>getAs("error")).isNull();
        assertThat(row.<String>getAs("captioner_model_id")).isEqualTo(captionerId);
        assertThat(row.<String>getAs("clip_model_id")).isEqualTo(clipId);
        assertThat(row.<Integer>getAs("round")).isEqualTo(0);
      }
    }
    Row bad = rows.get(6);
    assertThat(bad.<String>getAs("error")).startsWith("undecodable image: ");
    assertThat(bad.<String>getAs("caption")).isNull();
    assertThat(bad.<Object>getAs("caption_reward")).isNull();
  }

  @Test
  void tooManyUndecodableImagesFailTheStageWithoutCommitting() throws Exception {
    List<Sample> samples = new ArrayList<>(samples(1, 2));
    samples.add(new Sample("p9", 0, "a kite", "garbage".getBytes()));
    samples.add(new Sample("p9", 1, "a kite", null));
    SampleFixtures.write(spark, tables, 0, samples);
    Path conf = RunFixtures.conf(tmp, modelsConf
        + "finerewards.caption { max-new-tokens = 4, max-error-fraction = 0.25 }\n");

    CliResult r = RunFixtures.cli(spark, "caption", "--conf", conf.toString(), "--round", "0");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .contains("2 of 4 samples (50.00%) have undecodable images, more than finerewards.caption.max-error-fraction = 0.25")
        .contains("nothing committed")
        .contains("no image bytes");
    assertThat(tables.store().committed("captions", 0)).isEmpty();
  }
}
