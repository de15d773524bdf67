package ai.finerewards.jobs.ml;

import ai.finerewards.core.reward.ImageReward;
import ai.finerewards.jobs.rank.ImageRewardRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
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
 * The built-in image rewards ({@link ImageReward}: brightness, jpeg_compressibility) as a Spark ML
 * Transformer: image in, one double column per reward in {@link #rewards()}, named by the reward,
 * null for an undecodable image. No model. Runs rank's own partition function
 * ({@link ImageRewardRows}); the rank stage computes the built-in rewards through this class.
 */
public final class ImageRewardTransformer extends FineRewardsTransformer {
  private static final long serialVersionUID = 1L;

  private final Param<String> imageCol;
  private final StringArrayParam rewards;

  public ImageRewardTransformer() {
    this(Identifiable.randomUID("imageReward"));
  }

  public ImageRewardTransformer(String uid) {
    super(uid);
    imageCol = columnParam("imageCol", "input column: the image (binary bytes or struct<bytes: binary, ...>)", "image");
    rewards = new StringArrayParam(this, "rewards", "the built-in rewards to compute, each appended as a double column"
        + " of its name: " + ImageReward.columns() + " (default: all)");
    setDefault(rewards, Arrays.stream(ImageReward.values()).map(ImageReward::column).toArray(String[]::new));
  }

  public Param<String> imageCol() { return imageCol; }
  public StringArrayParam rewards() { return rewards; }
  public String getImageCol() { return getOrDefault(imageCol); }
  public String[] getRewards() { return getOrDefault(rewards); }
  public ImageRewardTransformer setImageCol(String v) { return setParam(imageCol, v); }
  public ImageRewardTransformer setRewards(String... v) { return setParam(rewards, v.clone()); }

  private List<ImageReward> rewardList() {
    if (getRewards().length == 0) {
      throw new IllegalArgumentException("param rewards is empty; choose from " + ImageReward.columns());
    }
    return Arrays.stream(getRewards()).map(n -> ImageReward.byColumn(n).orElseThrow(() -> new IllegalArgumentException(
        "param rewards: unknown built-in reward '" + n + "'; choose from " + ImageReward.columns()))).toList();
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.requireImage(schema, getImageCol());
    Columns.requireAbsent(schema, Arrays.asList(getRewards()));
    StructField[] f = new ImageRewardRows(rewardList()).encoder().schema().fields();
    return Columns.append(schema, Arrays.asList(f).subList(2, f.length));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    int image = dataset.schema().fieldIndex(getImageCol());
    List<Integer> fields = new ArrayList<>();
    for (int i = 0; i < getRewards().length; i++) {
      fields.add(2 + i); // after ImageRewardRows' key columns prompt_id, sample_idx
    }
    AlignedRows fn = new AlignedRows(new ImageRewardRows(rewardList()),
        r -> RowFactory.create("", 0, Columns.imageBytes(r, image)),
        fields.stream().mapToInt(Integer::intValue).toArray());
    return dataset.toDF().mapPartitions(fn, Encoders.row(out));
  }

  @Override
  public ImageRewardTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  private static final DefaultParamsReadable<ImageRewardTransformer> READABLE = new DefaultParamsReadable<>() {};

  public static MLReader<ImageRewardTransformer> read() {
    return READABLE.read();
  }

  public static ImageRewardTransformer load(String path) {
    return READABLE.load(path);
  }
}
