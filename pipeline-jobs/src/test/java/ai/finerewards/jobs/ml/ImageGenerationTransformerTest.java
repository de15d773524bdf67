package ai.finerewards.jobs.ml;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.seed.SampleSeeds;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.stages.SegmentScoreFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ImageGenerationTransformer in the shape of Spark's transformer suites; its images are the
 * generate stage's, byte for byte, for the same keys and settings.
 */
class ImageGenerationTransformerTest extends SparkTestBase {
  static final long BASE_SEED = 4242L;
  @TempDir Path tmp;

  static final StructType USER = new StructType().add("prompt_id", DataTypes.StringType)
      .add("sample_idx", DataTypes.IntegerType).add("prompt", DataTypes.StringType).add("n", DataTypes.LongType);

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  /** Tiny diffusion model at its native 64x64, 3 DDIM steps; batch 1, so batching cannot move a bit. */
  static final String[] TINY = {"models.diffusion=" + SegmentScoreFixtures.tiny("diffusion"), "run.base-seed=" + BASE_SEED,
      "generate={ height = 64, width = 64, steps = 3, samples-per-prompt = 2, batch-size = 1, scheduler = ddim }"};

  @Test
  void paramsHaveDefaultsAndCopyKeepsThem() {
    ImageGenerationTransformer t = new ImageGenerationTransformer();
    TransformerChecks.checkParams(t);
    assertThat(t.getPromptCol()).isEqualTo("prompt");
    assertThat(t.getPromptIdCol()).isEqualTo("prompt_id");
    assertThat(t.getSampleIdxCol()).isEqualTo("sample_idx");
    assertThat(t.getRound()).isZero();
    assertThat(t.getLoraDirectory()).isEmpty();
    assertThat(t.getOutputCol()).isEqualTo("image");
    TransformerChecks.checkCopyWithExtra(t, t.round(), 3);
  }

  @Test
  void transformSchemaRejectsWrongTypesAndExistingOutputs() {
    TransformerChecks.checkSchemaError(new ImageGenerationTransformer().setPromptCol("n"), USER, "n");
    TransformerChecks.checkSchemaError(new ImageGenerationTransformer().setSampleIdxCol("n"), USER, "n");
    TransformerChecks.checkSchemaError(new ImageGenerationTransformer().setPromptIdCol("nope"), USER, "nope");
    TransformerChecks.checkSchemaError(new ImageGenerationTransformer(), USER.add("seed", DataTypes.LongType), "seed");
    TransformerChecks.checkSchemaError(new ImageGenerationTransformer().setOutputCol("prompt"), USER, "prompt");
    StructType out = new ImageGenerationTransformer().setOutputCol("img").transformSchema(USER);
    assertThat(out.fieldNames()).containsExactly("prompt_id", "sample_idx", "prompt", "n", "img", "negative_prompt", "seed",
        "width", "height", "model_id", "lora_checkpoint_id", "scheduler", "steps", "guidance_scale", "truncated_tokens");
    assertThat(((StructType) out.apply("img").dataType()).fieldNames()).containsExactly("bytes", "path");
  }

  @Test
  void generatesTheStagesImagesForTheSameKeysAndSurvivesSaveLoad() throws Exception {
    Path prompts = tmp.resolve("prompts.txt");
    Files.writeString(prompts, "a cat sitting on a red chair\ntwo dogs playing in the park\n", StandardCharsets.UTF_8);
    Path conf = RunFixtures.conf(tmp, "finerewards.prompts.path = \"" + prompts + "\"\n");
    List<String> sets = new java.util.ArrayList<>(List.of("generate", "--conf", conf.toString(), "--round", "1"));
    for (String s : TINY) {
      sets.add("--set");
      sets.add(s);
    }
    CliResult r = RunFixtures.cli(spark, sets.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    List<Row> job = spark.read().parquet(tmp.resolve("run/samples/round=1").toString())
        .selectExpr("prompt_id", "sample_idx", "prompt", "seed", "image.bytes").orderBy("prompt_id", "sample_idx")
        .collectAsList();
    assertThat(job).hasSize(4);

    ImageGenerationTransformer t = (ImageGenerationTransformer) new ImageGenerationTransformer().setRound(1)
        .setOutputCol("img").setSettings(TINY);
    ImageGenerationTransformer loaded = TransformerChecks.checkSaveLoad(t, tmp, ImageGenerationTransformer::load);
    List<Row> keys = job.stream().map(k -> RowFactory.create(k.getString(0), k.getInt(1), k.getString(2), 7L)).toList();
    Dataset<Row> df = spark.createDataFrame(keys, USER).repartition(2);
    List<Row> direct = loaded.transform(df).selectExpr("prompt_id", "sample_idx", "prompt", "seed", "img.bytes")
        .orderBy("prompt_id", "sample_idx").collectAsList();
    assertThat(direct).isEqualTo(job);
    for (Row row : direct) {
      assertThat(row.getLong(3)).isEqualTo(SampleSeeds.seed(BASE_SEED, 1, row.getString(0), row.getInt(1)));
      RgbImage image = ImageDecoder.decode((byte[]) row.get(4));
      assertThat(image.width()).isEqualTo(64);
      assertThat(image.height()).isEqualTo(64);
    }
  }
}
