package ai.finerewards.jobs.ml;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.caption.Blip2Captioner;
import ai.finerewards.core.clip.CaptionReward;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.caption.SampleFixtures;
import ai.finerewards.jobs.caption.SampleFixtures.Sample;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CaptionRewardTransformer in the shape of Spark's transformer suites: params, schema checks,
 * transform on a user's own DataFrame (local[2], tiny models; expected values recomputed with the
 * core classes), save/load, and the caption stage giving the same rows as the transformer.
 */
class CaptionRewardTransformerTest extends SparkTestBase {
  @TempDir static Path models;
  static String modelsConf;
  @TempDir Path tmp;

  static final StructType USER = new StructType()
      .add("id", DataTypes.LongType)
      .add("text", DataTypes.StringType)
      .add("png", DataTypes.BinaryType);

  @BeforeAll
  static void copyModels() {
    modelsConf = SampleFixtures.tinyModelsConf(models);
  }

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  static CaptionRewardTransformer tiny() {
    // setModelDirectory adds a --set style override; a path is taken verbatim, as on the CLI.
    return (CaptionRewardTransformer) new CaptionRewardTransformer()
        .setSettings("caption.max-new-tokens=6", "caption.batch-size=2")
        .setModelDirectory("captioner", models.resolve("captioner").toString())
        .setModelDirectory("clip", models.resolve("clip").toString());
  }

  static ModelDirectory dir(String family) {
    return ModelDirectory.resolve(models.resolve(family).toString(), family, ModelCacheConfig.defaults(), new Configuration());
  }

  @Test
  void paramsHaveDefaultsAndCopyKeepsThem() {
    CaptionRewardTransformer t = new CaptionRewardTransformer();
    TransformerChecks.checkParams(t);
    assertThat(t.getPromptCol()).isEqualTo("prompt");
    assertThat(t.getImageCol()).isEqualTo("image");
    assertThat(t.getCaptionCol()).isEqualTo("caption");
    assertThat(t.getOutputCol()).isEqualTo("caption_reward");
    assertThat(t.getErrorCol()).isEqualTo("caption_error");
    assertThat(t.getConfigFile()).isEmpty();
    assertThat(t.getSettings()).isEmpty();
    TransformerChecks.checkCopyWithExtra(t.setOutputCol("r"), t.outputCol(), "other");
    TransformerChecks.checkParams(tiny().setPromptCol("text"));
    assertThat(tiny().getSettings()).containsExactly("caption.max-new-tokens=6", "caption.batch-size=2",
        "models.captioner=" + models.resolve("captioner"), "models.clip=" + models.resolve("clip"));
  }

  @Test
  void transformSchemaRejectsWrongTypesAndExistingOutputs() {
    CaptionRewardTransformer t = new CaptionRewardTransformer().setPromptCol("text").setImageCol("png");
    TransformerChecks.checkSchemaError(t.setPromptCol("id"), USER, "id"); // long, not string
    TransformerChecks.checkSchemaError(t.setPromptCol("nope"), USER, "nope");
    TransformerChecks.checkSchemaError(t.setPromptCol("text").setImageCol("text"), USER, "text"); // string, not an image
    StructType badStruct = new StructType().add("text", DataTypes.StringType)
        .add("img", new StructType().add("path", DataTypes.StringType));
    TransformerChecks.checkSchemaError(t.setImageCol("img"), badStruct, "img"); // struct without bytes
    TransformerChecks.checkSchemaError(t.setImageCol("png").setOutputCol("id"), USER, "id");
    StructType out = t.setOutputCol("reward").transformSchema(USER);
    assertThat(out.fieldNames()).containsExactly("id", "text", "png", "caption", "reward", "captioner_model_id",
        "clip_model_id", "caption_error");
    assertThat(out.apply("reward").dataType()).isEqualTo(DataTypes.DoubleType);
  }

  @Test
  void transformsAUsersDataFrameAsTheCoreClassesDo() throws Exception {
    List<Row> rows = new ArrayList<>();
    String[] texts = {"a cat sitting on the beach", "two dogs riding a bicycle", "a red bus in the rain"};
    for (int i = 0; i < 5; i++) {
      rows.add(RowFactory.create((long) i, texts[i % 3], SampleFixtures.png(24 + 8 * i, 32, 7L * i)));
    }
    rows.add(RowFactory.create(99L, "a kite", "not an image".getBytes()));
    Dataset<Row> df = spark.createDataFrame(rows, USER).repartition(2);

    List<Row> out = tiny().setPromptCol("text").setImageCol("png").setOutputCol("reward").transform(df)
        .orderBy("id").collectAsList();

    assertThat(out).hasSize(6);
    try (Blip2Captioner captioner = Blip2Captioner.open(dir("captioner"), Device.cpu(), "auto");
        ClipTextEmbedder clip = ClipTextEmbedder.open(dir("clip"), Device.cpu(), "auto")) {
      for (int i = 0; i < 5; i++) {
        Row in = rows.get(i);
        Row r = out.get(i);
        assertThat(r.<Long>getAs("id")).isEqualTo(in.getLong(0));
        assertThat(r.<byte[]>getAs("png")).isEqualTo(in.get(2)); // input columns pass through
        String expected = captioner.caption(List.of(ImageDecoder.decode((byte[]) in.get(2))), 6).get(0).text();
        assertThat(r.<String>getAs("caption")).isEqualTo(expected);
        List<float[]> e = clip.embed(List.of(in.getString(1), expected));
        // One text per tower call, as CaptionJobTest: the reward is the directly computed one, bit for bit.
        assertThat(r.<Double>getAs("reward")).isEqualTo(CaptionReward.cosine(e.get(0), e.get(1)));
        assertThat(r.<String>getAs("caption_error")).isNull();
      }
    }
    Row bad = out.get(5);
    assertThat(bad.<String>getAs("caption_error")).startsWith("undecodable image: ");
    assertThat(bad.<Object>getAs("reward")).isNull();
  }

  @Test
  void saveAndLoadKeepParamsAndResults() throws Exception {
    CaptionRewardTransformer t = tiny().setPromptCol("text").setImageCol("png").setCaptionCol("c");
    CaptionRewardTransformer loaded = TransformerChecks.checkSaveLoad(t, tmp, CaptionRewardTransformer::load);
    Dataset<Row> df = spark.createDataFrame(List.of(
        RowFactory.create(1L, "a cat", SampleFixtures.png(32, 32, 5L))), USER);
    assertThat(loaded.transform(df).collectAsList()).isEqualTo(t.transform(df).collectAsList());
    assertThat(CaptionRewardTransformer.read().load(tmp.resolve(t.uid()).toString()).getCaptionCol()).isEqualTo("c");
  }

  @Test
  void theCaptionStageWritesWhatTheTransformerComputes() throws Exception {
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      samples.add(new Sample("p" + (i % 2), i, i % 2 == 0 ? "a cat on a sofa" : "a bus", SampleFixtures.png(32, 24 + 8 * i, i)));
    }
    SampleFixtures.write(spark, tables, 0, samples);
    Path conf = RunFixtures.conf(tmp, modelsConf + "finerewards.caption { max-new-tokens = 6, batch-size = 2 }\n");
    CliResult r = RunFixtures.cli(spark, "caption", "--conf", conf.toString(), "--round", "0");
    assertThat(r.exitCode()).as(r.err()).isZero();

    List<Row> job = tables.read(Tables.CAPTIONS, 0, "caption").orderBy("prompt_id", "sample_idx")
        .select("prompt_id", "sample_idx", "caption", "caption_reward", "captioner_model_id", "clip_model_id", "error")
        .collectAsList();
    List<Row> direct = tiny().setErrorCol("error")
        .transform(tables.read(Tables.SAMPLES, 0, "generate").select("prompt_id", "sample_idx", "prompt", "image"))
        .orderBy("prompt_id", "sample_idx")
        .select("prompt_id", "sample_idx", "caption", "caption_reward", "captioner_model_id", "clip_model_id", "error")
        .collectAsList();
    assertThat(job).hasSize(4).isEqualTo(direct);
  }

  @Test
  void copyWithExtraParamsTransformsUnderTheExtraNames() {
    CaptionRewardTransformer t = new CaptionRewardTransformer();
    CaptionRewardTransformer c = t.copy(new ParamMap().put(t.promptCol(), "text").put(t.imageCol(), "png"));
    assertThat(c.transformSchema(USER).fieldNames()).contains("caption", "caption_reward");
  }
}
