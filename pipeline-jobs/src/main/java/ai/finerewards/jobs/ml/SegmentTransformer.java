package ai.finerewards.jobs.ml;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.jobs.segment.SegmentPartition;
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
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The first half of the SAM reward as a Spark ML Transformer: image in; its parts (Segment Anything
 * automatic masks, each labelled by zero-shot CLIP over the label vocabulary, as in
 * {@code segments.parts}), their count, the model and vocabulary ids and an error appended. Runs
 * the segment stage's own partition function ({@link SegmentPartition}) under
 * {@code finerewards.segment} and {@code models}; the segment stage computes through this class.
 * Appended columns: {@link #partsCol()}, {@code n_parts}, {@code segmenter_model_id},
 * {@code clip_model_id}, {@code label_vocabulary_id}, {@link #errorCol()}.
 */
public final class SegmentTransformer extends StageTransformer {
  private static final long serialVersionUID = 1L;
  private static final int PARTS = 3, N_PARTS = 4, SEGMENTER_ID = 5, CLIP_ID = 6, VOCABULARY_ID = 7, ERROR = 8; // in SEGMENTS
  /** SegmentPartition reads its input by name: these columns. */
  private static final StructType STAGE_INPUT = new StructType()
      .add("round", DataTypes.IntegerType).add("prompt_id", DataTypes.StringType)
      .add("sample_idx", DataTypes.IntegerType)
      .add("image", new StructType().add("bytes", DataTypes.BinaryType));
  private static final StructType STAGE_IMAGE = (StructType) STAGE_INPUT.apply("image").dataType();

  private final Param<String> imageCol;
  private final Param<String> partsCol;
  private final Param<String> errorCol;

  public SegmentTransformer() {
    this(Identifiable.randomUID("segment"));
  }

  public SegmentTransformer(String uid) {
    super(uid);
    imageCol = columnParam("imageCol", "input column: the image (binary bytes or struct<bytes: binary, ...>)", "image");
    partsCol = columnParam("partsCol", "output column: the labelled parts (array of segments.parts structs, null on error)", "parts");
    errorCol = columnParam("errorCol", "output column: why the row has no result, else null (string)", "segment_error");
  }

  public Param<String> imageCol() { return imageCol; }
  public Param<String> partsCol() { return partsCol; }
  public Param<String> errorCol() { return errorCol; }
  public String getImageCol() { return getOrDefault(imageCol); }
  public String getPartsCol() { return getOrDefault(partsCol); }
  public String getErrorCol() { return getOrDefault(errorCol); }
  public SegmentTransformer setImageCol(String v) { return setParam(imageCol, v); }
  public SegmentTransformer setPartsCol(String v) { return setParam(partsCol, v); }
  public SegmentTransformer setErrorCol(String v) { return setParam(errorCol, v); }

  private List<String> outputs() {
    return List.of(getPartsCol(), "n_parts", "segmenter_model_id", "clip_model_id", "label_vocabulary_id", getErrorCol());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.requireImage(schema, getImageCol());
    Columns.requireAbsent(schema, outputs());
    StructField[] f = SegmentPartition.ENCODER.schema().fields();
    List<String> n = outputs();
    return Columns.append(schema, List.of(renamed(f[PARTS], n.get(0)), renamed(f[N_PARTS], n.get(1)),
        renamed(f[SEGMENTER_ID], n.get(2)), renamed(f[CLIP_ID], n.get(3)), renamed(f[VOCABULARY_ID], n.get(4)),
        renamed(f[ERROR], n.get(5))));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Config root = config();
    SegmentConfig segment = SegmentConfig.from(PipelineConfigLoader.section(root, SegmentConfig.SECTION));
    int image = dataset.schema().fieldIndex(getImageCol());
    SegmentPartition stage = new SegmentPartition(ModelRuntime.from(root), segment, Timestamp.from(Instant.now()));
    AlignedRows fn = new AlignedRows(stage, r -> {
      byte[] bytes = Columns.imageBytes(r, image);
      Row img = bytes == null ? null : new GenericRowWithSchema(new Object[] {bytes}, STAGE_IMAGE);
      return new GenericRowWithSchema(new Object[] {0, "", 0, img}, STAGE_INPUT);
    }, new int[] {PARTS, N_PARTS, SEGMENTER_ID, CLIP_ID, VOCABULARY_ID, ERROR});
    return dataset.toDF().mapPartitions(fn, Encoders.row(out));
  }

  @Override
  public SegmentTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  private static final DefaultParamsReadable<SegmentTransformer> READABLE = new DefaultParamsReadable<>() {};

  public static MLReader<SegmentTransformer> read() {
    return READABLE.read();
  }

  public static SegmentTransformer load(String path) {
    return READABLE.load(path);
  }
}
