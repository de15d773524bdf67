package ai.finerewards.jobs.ml;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.generate.GeneratePartition;
import ai.finerewards.jobs.generate.SampleRows;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.IntParam;
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

/**
 * Image generation as a Spark ML Transformer: prompt and sample key in; the generated image
 * (struct {@code {bytes: PNG, path}}, as {@code samples.image}) and its lineage appended. The seed
 * is the stage's pure function of ({@code run.base-seed}, {@link #round()}, prompt id, sample
 * index), so the same key gives the same image as the generate stage. Runs the generate stage's own
 * partition function ({@link GeneratePartition}) under {@code finerewards.generate}, {@code run}
 * and {@code models}; the generate stage computes through this class. Appended columns:
 * {@link #outputCol()} and {@code negative_prompt, seed, width, height, model_id,
 * lora_checkpoint_id, scheduler, steps, guidance_scale, truncated_tokens} (samples' names).
 */
public final class ImageGenerationTransformer extends StageTransformer {
  private static final long serialVersionUID = 1L;
  // Indices in the samples contract (SampleRows): 4 negative_prompt .. 14 truncated_tokens, 6 image.
  private static final int IMAGE = 6;
  private static final int[] LINEAGE = {4, 5, 7, 8, 9, 10, 11, 12, 13, 14};

  private final Param<String> promptCol;
  private final Param<String> promptIdCol;
  private final Param<String> sampleIdxCol;
  private final IntParam round;
  private final Param<String> loraDirectory;
  private final Param<String> outputCol;

  public ImageGenerationTransformer() {
    this(Identifiable.randomUID("imageGeneration"));
  }

  public ImageGenerationTransformer(String uid) {
    super(uid);
    promptCol = columnParam("promptCol", "input column: the prompt (string)", "prompt");
    promptIdCol = columnParam("promptIdCol", "input column: the prompt id, part of the seed (string)", "prompt_id");
    sampleIdxCol = columnParam("sampleIdxCol", "input column: the sample index, part of the seed (int)", "sample_idx");
    round = new IntParam(this, "round", "the round, part of the seed (default 0)");
    setDefault(round, 0);
    loraDirectory = columnParam("loraDirectory",
        "a local LoRA checkpoint directory holding pytorch_lora_weights.safetensors; empty for the base model", "");
    outputCol = columnParam("outputCol", "output column: the image, struct<bytes: binary (PNG), path: string>", "image");
  }

  public Param<String> promptCol() { return promptCol; }
  public Param<String> promptIdCol() { return promptIdCol; }
  public Param<String> sampleIdxCol() { return sampleIdxCol; }
  public IntParam round() { return round; }
  public Param<String> loraDirectory() { return loraDirectory; }
  public Param<String> outputCol() { return outputCol; }
  public String getPromptCol() { return getOrDefault(promptCol); }
  public String getPromptIdCol() { return getOrDefault(promptIdCol); }
  public String getSampleIdxCol() { return getOrDefault(sampleIdxCol); }
  public int getRound() { return (Integer) getOrDefault(round); }
  public String getLoraDirectory() { return getOrDefault(loraDirectory); }
  public String getOutputCol() { return getOrDefault(outputCol); }
  public ImageGenerationTransformer setPromptCol(String v) { return setParam(promptCol, v); }
  public ImageGenerationTransformer setPromptIdCol(String v) { return setParam(promptIdCol, v); }
  public ImageGenerationTransformer setSampleIdxCol(String v) { return setParam(sampleIdxCol, v); }
  public ImageGenerationTransformer setRound(int v) { set(round, v); return this; }
  public ImageGenerationTransformer setLoraDirectory(String v) { return setParam(loraDirectory, v); }
  public ImageGenerationTransformer setOutputCol(String v) { return setParam(outputCol, v); }

  private List<StructField> outputFields() {
    StructField[] f = SampleRows.ENCODER.schema().fields();
    List<StructField> out = new ArrayList<>();
    out.add(renamed(f[IMAGE], getOutputCol()));
    for (int i : LINEAGE) {
      out.add(f[i]);
    }
    return out;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.require(schema, getPromptCol(), "prompt", Columns.STRING);
    Columns.require(schema, getPromptIdCol(), "prompt id", Columns.STRING);
    Columns.require(schema, getSampleIdxCol(), "sample index", Columns.INT);
    List<StructField> added = outputFields();
    Columns.requireAbsent(schema, added.stream().map(StructField::name).toList());
    return Columns.append(schema, added);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Config root = config();
    GenerateConfig generate = GenerateConfig.from(PipelineConfigLoader.section(root, GenerateConfig.SECTION));
    RunConfig run = RunConfig.from(PipelineConfigLoader.section(root, RunConfig.SECTION));
    StructType in = dataset.schema();
    int prompt = in.fieldIndex(getPromptCol());
    int promptId = in.fieldIndex(getPromptIdCol());
    int sampleIdx = in.fieldIndex(getSampleIdxCol());
    int r = getRound();
    GeneratePartition stage = new GeneratePartition(generate, ModelRuntime.from(root), run.baseSeed(),
        getLoraDirectory().isEmpty() ? null : getLoraDirectory(), Timestamp.from(Instant.now()));
    int[] fields = new int[1 + LINEAGE.length];
    fields[0] = IMAGE;
    System.arraycopy(LINEAGE, 0, fields, 1, LINEAGE.length);
    AlignedRows fn = new AlignedRows(stage,
        row -> RowFactory.create(r, row.getString(promptId), row.getInt(sampleIdx), row.getString(prompt)), fields);
    return dataset.toDF().mapPartitions(fn, Encoders.row(out));
  }

  @Override
  public ImageGenerationTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  private static final DefaultParamsReadable<ImageGenerationTransformer> READABLE = new DefaultParamsReadable<>() {};

  public static MLReader<ImageGenerationTransformer> read() {
    return READABLE.read();
  }

  public static ImageGenerationTransformer load(String path) {
    return READABLE.load(path);
  }
}
