package ai.finerewards.jobs.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.reward.ImageReward;
import ai.finerewards.jobs.SparkTestBase;
import ai.finerewards.jobs.caption.SampleFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ImageRewardTransformer in the shape of Spark's transformer suites; both image formats (binary and
 * the tables' {bytes, path} struct). Expected rewards come from core's ImageReward on the decoded
 * image. (The rank stage computes its built-in rewards through this class: RankJobTest.)
 */
class ImageRewardTransformerTest extends SparkTestBase {
  @TempDir Path tmp;

  static final StructType IMAGE = new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType);
  static final StructType USER = new StructType().add("k", DataTypes.IntegerType).add("img", IMAGE)
      .add("raw", DataTypes.BinaryType);

  @Test
  void paramsHaveDefaultsAndCopyKeepsThem() {
    ImageRewardTransformer t = new ImageRewardTransformer();
    TransformerChecks.checkParams(t);
    assertThat(t.getImageCol()).isEqualTo("image");
    assertThat(t.getRewards()).containsExactly("brightness", "jpeg_compressibility");
    TransformerChecks.checkCopyWithExtra(t, t.rewards(), new String[] {"brightness"});
  }

  @Test
  void transformSchemaRejectsWrongTypesUnknownRewardsAndExistingOutputs() {
    ImageRewardTransformer t = new ImageRewardTransformer();
    TransformerChecks.checkSchemaError(t.setImageCol("k"), USER, "k");
    TransformerChecks.checkSchemaError(t.setImageCol("image"), USER, "image");
    StructType taken = USER.add("brightness", DataTypes.DoubleType);
    TransformerChecks.checkSchemaError(t.setImageCol("img"), taken, "brightness");
    assertThatThrownBy(() -> t.setRewards("sharpness").transformSchema(USER))
        .hasMessageContaining("'sharpness'").hasMessageContaining("brightness, jpeg_compressibility");
    assertThat(t.setRewards("jpeg_compressibility").transformSchema(USER).fieldNames())
        .containsExactly("k", "img", "raw", "jpeg_compressibility");
  }

  @Test
  void transformComputesCoreRewardsForStructAndBinaryImages() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] png = SampleFixtures.png(16 + 4 * i, 20, i);
      rows.add(RowFactory.create(i, RowFactory.create(png, i + ".png"), png));
    }
    rows.add(RowFactory.create(9, RowFactory.create(new byte[] {1, 2}, "bad.png"), null));
    Dataset<Row> df = spark.createDataFrame(rows, USER).repartition(3);

    List<Row> fromStruct = new ImageRewardTransformer().setImageCol("img").transform(df.drop("raw")).orderBy("k").collectAsList();
    List<Row> fromBinary = new ImageRewardTransformer().setImageCol("raw").transform(df.drop("img")).orderBy("k").collectAsList();

    for (int i = 0; i < 4; i++) {
      byte[] png = (byte[]) rows.get(i).get(2);
      for (ImageReward reward : ImageReward.values()) {
        double expected = reward.score(ImageDecoder.decode(png));
        assertThat(fromStruct.get(i).<Double>getAs(reward.column())).isEqualTo(expected);
        assertThat(fromBinary.get(i).<Double>getAs(reward.column())).isEqualTo(expected);
      }
    }
    assertThat(fromStruct.get(4).<Object>getAs("brightness")).isNull(); // undecodable
    assertThat(fromBinary.get(4).<Object>getAs("brightness")).isNull(); // null image
  }

  @Test
  void saveAndLoadKeepParams() throws Exception {
    ImageRewardTransformer t = new ImageRewardTransformer().setImageCol("img").setRewards("brightness");
    ImageRewardTransformer loaded = TransformerChecks.checkSaveLoad(t, tmp, ImageRewardTransformer::load);
    assertThat(loaded.getRewards()).containsExactly("brightness");
  }
}
