package ai.finerewards.jobs.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.struct;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.score.AssembleScores;
import ai.finerewards.jobs.score.ScorePairs;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The second half of the SAM reward as a Spark ML Transformer: prompt + parts (as
 * {@link SegmentTransformer} writes them) in; each distinct part label's LLM answer, the SAM
 * reward, the model id and an error appended. As the score stage does (and it computes through this
 * class): every distinct (prompt, label) question of the whole input is asked once
 * ({@link ScorePairs}, one forward pass per question) and the answers are joined back by prompt;
 * each row is assembled by the stage's {@link AssembleScores}. The join reorders rows. A row whose
 * {@link #segmentErrorCol()} (when that column exists) is set, or whose prompt is null, gets an
 * error. Appended columns: {@code label_scores}, {@code n_labels}, {@link #outputCol()},
 * {@code no_labels}, {@code llm_model_id}, {@link #errorCol()}.
 */
public final class LlmScoreTransformer extends StageTransformer {
  private static final long serialVersionUID = 1L;
  private static final int LABEL_SCORES = 3, N_LABELS = 4, SAM_REWARD = 5, NO_LABELS = 6, LLM_ID = 7, ERROR = 8; // in LLM_SCORES
  private static final String LABELS = "__finerewards_labels", ANSWERS = "__finerewards_answers",
      ANSWER_PROMPT = "__finerewards_answer_prompt";

  private final Param<String> promptCol;
  private final Param<String> partsCol;
  private final Param<String> segmentErrorCol;
  private final Param<String> outputCol;
  private final Param<String> errorCol;

  public LlmScoreTransformer() {
    this(Identifiable.randomUID("llmScore"));
  }

  public LlmScoreTransformer(String uid) {
    super(uid);
    promptCol = columnParam("promptCol", "input column: the prompt (string)", "prompt");
    partsCol = columnParam("partsCol", "input column: the parts, array<struct<label: string, ...>> (segments.parts)", "parts");
    segmentErrorCol = columnParam("segmentErrorCol",
        "optional input column: the segmentation error (string); a row with one gets an error; ignored when absent",
        "segment_error");
    outputCol = columnParam("outputCol", "output column: the SAM reward (double, null on error)", "sam_reward");
    errorCol = columnParam("errorCol", "output column: why the row has no result, else null (string)", "score_error");
  }

  public Param<String> promptCol() { return promptCol; }
  public Param<String> partsCol() { return partsCol; }
  public Param<String> segmentErrorCol() { return segmentErrorCol; }
  public Param<String> outputCol() { return outputCol; }
  public Param<String> errorCol() { return errorCol; }
  public String getPromptCol() { return getOrDefault(promptCol); }
  public String getPartsCol() { return getOrDefault(partsCol); }
  public String getSegmentErrorCol() { return getOrDefault(segmentErrorCol); }
  public String getOutputCol() { return getOrDefault(outputCol); }
  public String getErrorCol() { return getOrDefault(errorCol); }
  public LlmScoreTransformer setPromptCol(String v) { return setParam(promptCol, v); }
  public LlmScoreTransformer setPartsCol(String v) { return setParam(partsCol, v); }
  public LlmScoreTransformer setSegmentErrorCol(String v) { return setParam(segmentErrorCol, v); }
  public LlmScoreTransformer setOutputCol(String v) { return setParam(outputCol, v); }
  public LlmScoreTransformer setErrorCol(String v) { return setParam(errorCol, v); }

  private List<String> outputs() {
    return List.of("label_scores", "n_labels", getOutputCol(), "no_labels", "llm_model_id", getErrorCol());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.require(schema, getPromptCol(), "prompt", Columns.STRING);
    StructField parts = Columns.find(schema, getPartsCol());
    boolean ok = parts != null && parts.dataType() instanceof ArrayType a && a.elementType() instanceof StructType s
        && Columns.find(s, "label") != null && Columns.find(s, "label").dataType().equals(DataTypes.StringType);
    if (!ok) {
      throw new IllegalArgumentException("parts column '" + getPartsCol() + "' must be array<struct<label: string, ...>> but is "
          + (parts == null ? "missing (columns: " + String.join(", ", schema.fieldNames()) + ")" : parts.dataType().simpleString()));
    }
    if (Columns.find(schema, getSegmentErrorCol()) != null) {
      Columns.require(schema, getSegmentErrorCol(), "segment error", Columns.STRING);
    }
    Columns.requireAbsent(schema, outputs());
    StructField[] f = AssembleScores.ENCODER.schema().fields();
    List<String> n = outputs();
    return Columns.append(schema, List.of(renamed(f[LABEL_SCORES], n.get(0)), renamed(f[N_LABELS], n.get(1)),
        renamed(f[SAM_REWARD], n.get(2)), renamed(f[NO_LABELS], n.get(3)), renamed(f[LLM_ID], n.get(4)),
        renamed(f[ERROR], n.get(5))));
  }

  /** The input with each row's distinct labels in first-appearance (part) order, as a hidden column. */
  private Dataset<Row> withLabels(Dataset<?> dataset) {
    return dataset.toDF().withColumn(LABELS,
        expr("array_distinct(filter(transform(`" + getPartsCol() + "`, p -> p.label), l -> l IS NOT NULL))"));
  }

  /** The distinct (prompt, label) questions of {@code dataset}: what transform asks the LLM. */
  public Dataset<Row> questions(Dataset<?> dataset) {
    return withLabels(dataset)
        .filter(col(getPromptCol()).isNotNull())
        .select(col(getPromptCol()).as("prompt"), explode(col(LABELS)).as("label"))
        .distinct();
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Config root = config();
    ScoreConfig config = ScoreConfig.from(PipelineConfigLoader.section(root, ScoreConfig.SECTION));
    ModelRuntime runtime = ModelRuntime.from(root);
    Dataset<Row> byPrompt = questions(dataset)
        .mapPartitions(new ScorePairs(runtime, config), ScorePairs.ENCODER)
        .groupBy(col("prompt").as(ANSWER_PROMPT))
        .agg(collect_list(struct(col("label"), col("p1"), col("p2"), col("p3"), col("answer_mass"),
            col("expected_score"), col("pair_error"))).as(ANSWERS));
    Dataset<Row> labelled = withLabels(dataset);
    Dataset<Row> joined = labelled.join(byPrompt, labelled.col(getPromptCol()).equalTo(byPrompt.col(ANSWER_PROMPT)), "left")
        .drop(ANSWER_PROMPT);
    AssembleScores assemble = new AssembleScores(config, ModelIds.of(runtime.directory("llm")), Timestamp.from(Instant.now()));
    int width = dataset.schema().length();
    int segError = Columns.find(dataset.schema(), getSegmentErrorCol()) == null ? -1
        : dataset.schema().fieldIndex(getSegmentErrorCol());
    // AssembleScores names the row's prompt_id in the error for a prompt without answers.
    StructField promptIdField = Columns.find(dataset.schema(), "prompt_id");
    int promptId = promptIdField != null && promptIdField.dataType().equals(DataTypes.StringType)
        ? dataset.schema().fieldIndex("prompt_id") : -1;
    int labels = joined.schema().fieldIndex(LABELS);
    int answers = joined.schema().fieldIndex(ANSWERS);
    AlignedRows fn = new AlignedRows(rows -> new java.util.Iterator<Row>() {
          @Override
          public boolean hasNext() {
            return rows.hasNext();
          }

          @Override
          public Row next() {
            try {
              return assemble.call(rows.next());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        },
        r -> stageRow(r, promptId, segError, labels, answers),
        new int[] {LABEL_SCORES, N_LABELS, SAM_REWARD, NO_LABELS, LLM_ID, ERROR});
    return joined.mapPartitions(fn, Encoders.row(withHidden(out, joined.schema(), width)))
        .drop(LABELS, ANSWERS);
  }

  /** AssembleScores' input: the row's labels and, in the same order, the answers it has. */
  private static final StructType STAGE_INPUT = new StructType()
      .add("round", DataTypes.IntegerType).add("prompt_id", DataTypes.StringType).add("sample_idx", DataTypes.IntegerType)
      .add("seg_error", DataTypes.StringType).add("labels", DataTypes.createArrayType(DataTypes.StringType))
      .add("answers", DataTypes.createArrayType(ScorePairs.SCHEMA));

  private static Row stageRow(Row r, int promptId, int segError, int labelsAt, int answersAt) {
    List<String> labels = r.isNullAt(labelsAt) ? null : r.getList(labelsAt);
    List<Row> answers = null;
    if (labels != null && !labels.isEmpty() && !r.isNullAt(answersAt)) {
      Map<String, Row> byLabel = new HashMap<>();
      for (Object a : r.getList(answersAt)) {
        Row answer = (Row) a;
        byLabel.put(answer.getAs("label"), answer);
      }
      answers = new ArrayList<>();
      for (String label : labels) {
        Row a = byLabel.get(label);
        if (a != null) {
          answers.add(a);
        }
      }
    }
    // Keys are copied through unread (the user's row keeps its own); prompt_id only goes into errors.
    return new GenericRowWithSchema(new Object[] {0, promptId < 0 ? null : r.get(promptId), 0, segError < 0 ? null : r.get(segError),
        labels == null ? null : scala.collection.JavaConverters.asScalaBuffer(labels),
        answers == null ? null : scala.collection.JavaConverters.asScalaBuffer(answers)}, STAGE_INPUT);
  }

  /** {@code out} with the hidden columns in their place after the user's {@code width} columns. */
  private static StructType withHidden(StructType out, StructType joined, int width) {
    StructType s = new StructType();
    for (int i = 0; i < width; i++) {
      s = s.add(out.fields()[i]);
    }
    s = s.add(joined.apply(LABELS)).add(joined.apply(ANSWERS));
    for (int i = width; i < out.length(); i++) {
      s = s.add(out.fields()[i]);
    }
    return s;
  }

  @Override
  public LlmScoreTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  private static final DefaultParamsReadable<LlmScoreTransformer> READABLE = new DefaultParamsReadable<>() {};

  public static MLReader<LlmScoreTransformer> read() {
    return READABLE.read();
  }

  public static LlmScoreTransformer load(String path) {
    return READABLE.load(path);
  }
}
