package ai.finerewards.jobs.ml;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.model.ModelCache;
import ai.finerewards.jobs.RunFixtures;
import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.jobs.stages.SegmentScoreFixtures;
import ai.finerewards.schemas.Tables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SAM reward as two transformers (SegmentTransformer, then LlmScoreTransformer) in the shape of
 * Spark's transformer suites; chained in a Spark ML Pipeline, saved and loaded as one; and the
 * segment and score stages writing exactly what the chain computes on the same samples.
 */
class SamRewardTransformersTest extends SparkTestBase {
  @TempDir Path tmp;

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  /** Tiny models with the loosened AMG filters of SegmentScoreFixtures, as --set overrides. */
  static String[] tinySettings() {
    List<String> s = new ArrayList<>();
    for (String f : List.of("clip", "segmenter", "llm")) {
      s.add("models." + f + "=" + SegmentScoreFixtures.tiny(f));
    }
    s.add("segment={ points-per-side = 8, points-per-batch = 32, pred-iou-thresh = 0.0, stability-score-thresh = 0.5,"
        + " stability-score-offset = 0.0, box-nms-thresh = 0.9, label-threshold = 0.0 }");
    return s.toArray(new String[0]);
  }

  @Test
  void paramsHaveDefaultsAndCopyKeepsThem() {
    SegmentTransformer segment = new SegmentTransformer();
    TransformerChecks.checkParams(segment);
    assertThat(segment.getImageCol()).isEqualTo("image");
    assertThat(segment.getPartsCol()).isEqualTo("parts");
    assertThat(segment.getErrorCol()).isEqualTo("segment_error");
    TransformerChecks.checkCopyWithExtra(segment, segment.partsCol(), "p");
    LlmScoreTransformer score = new LlmScoreTransformer();
    TransformerChecks.checkParams(score);
    assertThat(score.getPromptCol()).isEqualTo("prompt");
    assertThat(score.getPartsCol()).isEqualTo("parts");
    assertThat(score.getSegmentErrorCol()).isEqualTo("segment_error");
    assertThat(score.getOutputCol()).isEqualTo("sam_reward");
    assertThat(score.getErrorCol()).isEqualTo("score_error");
    TransformerChecks.checkCopyWithExtra(score, score.outputCol(), "r");
  }

  @Test
  void transformSchemaRejectsWrongTypesAndExistingOutputs() {
    StructType user = new StructType().add("text", DataTypes.StringType).add("png", DataTypes.BinaryType)
        .add("n", DataTypes.IntegerType);
    SegmentTransformer segment = new SegmentTransformer().setImageCol("png");
    TransformerChecks.checkSchemaError(new SegmentTransformer().setImageCol("n"), user, "n");
    TransformerChecks.checkSchemaError(new SegmentTransformer().setImageCol("png").setErrorCol("text"), user, "text");
    StructType segmented = segment.transformSchema(user);
    assertThat(segmented.fieldNames()).containsExactly("text", "png", "n", "parts", "n_parts", "segmenter_model_id",
        "clip_model_id", "label_vocabulary_id", "segment_error");

    LlmScoreTransformer score = new LlmScoreTransformer().setPromptCol("text");
    TransformerChecks.checkSchemaError(score.copy(new org.apache.spark.ml.param.ParamMap().put(score.promptCol(), "n")),
        segmented, "n");
    TransformerChecks.checkSchemaError(new LlmScoreTransformer().setPromptCol("text").setPartsCol("png"), segmented, "png");
    TransformerChecks.checkSchemaError(new LlmScoreTransformer().setPromptCol("text").setOutputCol("n"), segmented, "n");
    StructType wrongError = user.add("parts", segmented.apply("parts").dataType()).add("segment_error", DataTypes.IntegerType);
    TransformerChecks.checkSchemaError(score, wrongError, "segment_error");
    assertThat(score.transformSchema(segmented).fieldNames()).endsWith("label_scores", "n_labels", "sam_reward",
        "no_labels", "llm_model_id", "score_error");
  }

  @Test
  void theStagesWriteWhatThePipelineOfBothTransformersComputes() throws Exception {
    RoundTables tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
    SegmentScoreFixtures.samples(spark, tables, 0, List.of("a", "b"), 2, true);
    SegmentScoreFixtures.prompts(spark, tables, 0, List.of(new String[] {"a", "prompt a"}, new String[] {"b", "prompt b"}));
    Path conf = RunFixtures.conf(tmp, SegmentScoreFixtures.modelsConf());
    for (String stage : List.of("segment", "score")) {
      CliResult r = RunFixtures.cli(spark, stage, "--conf", conf.toString(), "--round", "0");
      assertThat(r.exitCode()).as(r.err()).isZero();
    }
    List<Row> job = tables.read(Tables.SEGMENTS, 0, "segment").drop("error") // score's error wraps it
        .join(tables.read(Tables.LLM_SCORES, 0, "score").drop("round", "created_at", "clip_model_id"),
            new String[] {"prompt_id", "sample_idx"})
        .selectExpr("prompt_id", "sample_idx", "parts", "n_parts", "segmenter_model_id", "label_scores", "sam_reward",
            "no_labels", "llm_model_id", "coalesce(error, '') AS e")
        .orderBy("prompt_id", "sample_idx").collectAsList();

    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
        new SegmentTransformer().setSettings(tinySettings()),
        new LlmScoreTransformer().setSettings(tinySettings())}).fit(samplesWithPrompts(tables));
    String path = tmp.resolve("sam-reward").toString();
    model.write().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    for (PipelineModel m : List.of(model, loaded)) {
      List<Row> direct = m.transform(samplesWithPrompts(tables))
          // The stage's error is the score error, or the segmentation's wrapped by score (AssembleScores).
          .selectExpr("prompt_id", "sample_idx", "parts", "n_parts", "segmenter_model_id", "label_scores", "sam_reward",
              "no_labels", "llm_model_id", "coalesce(score_error, '') AS e")
          .orderBy("prompt_id", "sample_idx").collectAsList();
      assertThat(direct).hasSize(4).isEqualTo(job);
    }
    assertThat(job.stream().filter(r -> !r.getString(9).isEmpty()).count()).isEqualTo(1); // the undecodable image
    assertThat(job.stream().filter(r -> r.getInt(3) > 0).count()).isPositive(); // parts were found and scored
  }

  private static Dataset<Row> samplesWithPrompts(RoundTables tables) {
    return tables.read(Tables.SAMPLES, 0, "generate").select("prompt_id", "sample_idx", "image")
        .join(tables.read(Tables.PROMPTS, 0, "generate").select("prompt_id", "prompt"), "prompt_id");
  }
}
