package ai.finerewards.jobs.ml;

import ai.finerewards.core.caption.CaptionConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.caption.CaptionPartition;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The caption reward as a Spark ML Transformer: prompt + image in; the captioner's greedy caption,
 * the caption reward (CLIP text cosine of prompt and caption), the two model ids and an error
 * (undecodable image) appended. Runs the caption stage's own partition function
 * ({@link CaptionPartition}, models from the per-executor ModelCache) under the
 * {@code finerewards.caption} and {@code models} configuration; the caption stage computes through
 * this class. Appended columns: {@link #captionCol()}, {@link #outputCol()},
 * {@code captioner_model_id}, {@code clip_model_id}, {@link #errorCol()}.
 */
public final class CaptionRewardTransformer extends StageTransformer {
  private static final long serialVersionUID = 1L;
  private static final int CAPTION = 3, REWARD = 4, CAPTIONER_ID = 5, CLIP_ID = 6, ERROR = 7; // in CaptionPartition.SCHEMA

  private final Param<String> promptCol;
  private final Param<String> imageCol;
  private final Param<String> captionCol;
  private final Param<String> outputCol;
  private final Param<String> errorCol;
  private transient LongAccumulator promptEmbeddings;

  public CaptionRewardTransformer() {
    this(Identifiable.randomUID("captionReward"));
  }

  public CaptionRewardTransformer(String uid) {
    super(uid);
    promptCol = columnParam("promptCol", "input column: the prompt (string)", "prompt");
    imageCol = columnParam("imageCol", "input column: the image (binary bytes or struct<bytes: binary, ...>)", "image");
    captionCol = columnParam("captionCol", "output column: the greedy caption (string, null on error)", "caption");
    outputCol = columnParam("outputCol", "output column: the caption reward (double, null on error)", "caption_reward");
    errorCol = columnParam("errorCol", "output column: why the row has no result, else null (string)", "caption_error");
  }

  public Param<String> promptCol() { return promptCol; }
  public Param<String> imageCol() { return imageCol; }
  public Param<String> captionCol() { return captionCol; }
  public Param<String> outputCol() { return outputCol; }
  public Param<String> errorCol() { return errorCol; }

  public String getPromptCol() { return getOrDefault(promptCol); }
  public String getImageCol() { return getOrDefault(imageCol); }
  public String getCaptionCol() { return getOrDefault(captionCol); }
  public String getOutputCol() { return getOrDefault(outputCol); }
  public String getErrorCol() { return getOrDefault(errorCol); }

  public CaptionRewardTransformer setPromptCol(String v) { return setParam(promptCol, v); }
  public CaptionRewardTransformer setImageCol(String v) { return setParam(imageCol, v); }
  public CaptionRewardTransformer setCaptionCol(String v) { return setParam(captionCol, v); }
  public CaptionRewardTransformer setOutputCol(String v) { return setParam(outputCol, v); }
  public CaptionRewardTransformer setErrorCol(String v) { return setParam(errorCol, v); }

  /**
   * Counts the prompt embeddings computed (the caption stage's summary); not a param, not saved.
   * Without one, transform registers its own.
   */
  public CaptionRewardTransformer setPromptEmbeddingsCounter(LongAccumulator counter) {
    this.promptEmbeddings = counter;
    return this;
  }

  private List<String> outputs() {
    return List.of(getCaptionCol(), getOutputCol(), "captioner_model_id", "clip_model_id", getErrorCol());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.require(schema, getPromptCol(), "prompt", Columns.STRING);
    Columns.requireImage(schema, getImageCol());
    Columns.requireAbsent(schema, outputs());
    StructField[] f = CaptionPartition.SCHEMA.fields();
    List<String> names = outputs();
    return Columns.append(schema, List.of(renamed(f[CAPTION], names.get(0)), renamed(f[REWARD], names.get(1)),
        renamed(f[CAPTIONER_ID], names.get(2)), renamed(f[CLIP_ID], names.get(3)), renamed(f[ERROR], names.get(4))));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Config root = config();
    CaptionConfig caption = CaptionConfig.from(PipelineConfigLoader.section(root, CaptionConfig.SECTION));
    LongAccumulator counter = promptEmbeddings != null ? promptEmbeddings
        : dataset.sparkSession().sparkContext().longAccumulator("caption.prompt_embeddings");
    int prompt = dataset.schema().fieldIndex(getPromptCol());
    int image = dataset.schema().fieldIndex(getImageCol());
    // The stage function's key columns are copied through unread; the user's row keeps its own.
    CaptionPartition stage = new CaptionPartition(ModelRuntime.from(root), caption, Timestamp.from(Instant.now()), counter);
    AlignedRows fn = new AlignedRows(stage,
        r -> RowFactory.create(0, "", 0, r.getString(prompt), Columns.imageBytes(r, image)),
        new int[] {CAPTION, REWARD, CAPTIONER_ID, CLIP_ID, ERROR});
    return dataset.toDF().mapPartitions(fn, Encoders.row(out));
  }

  @Override
  public CaptionRewardTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  private static final DefaultParamsReadable<CaptionRewardTransformer> READABLE = new DefaultParamsReadable<>() {};

  public static MLReader<CaptionRewardTransformer> read() {
    return READABLE.read();
  }

  public static CaptionRewardTransformer load(String path) {
    return READABLE.load(path);
  }
}
