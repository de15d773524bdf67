package ai.finerewards.jobs.rank;

import ai.finerewards.core.image.ImageDecodeException;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.reward.ImageReward;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The built-in rewards of {@code samples} rows ({@code prompt_id, sample_idx, image.bytes}) as a reward
 * table for rank: {@code prompt_id, sample_idx, <reward>...}. One decode per image, whatever the
 * number of rewards. An undecodable image gets null rewards, which rank excludes and counts.
 */
public final class ImageRewardRows implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final List<ImageReward> rewards;

  public ImageRewardRows(List<ImageReward> rewards) {
    this.rewards = List.copyOf(rewards);
  }

  public Encoder<Row> encoder() {
    List<StructField> fields = new ArrayList<>(List.of(
        DataTypes.createStructField("prompt_id", DataTypes.StringType, false),
        DataTypes.createStructField("sample_idx", DataTypes.IntegerType, false)));
    for (ImageReward r : rewards) {
      fields.add(DataTypes.createStructField(r.column(), DataTypes.DoubleType, true));
    }
    return Encoders.row(new StructType(fields.toArray(new StructField[0])));
  }

  @Override
  public Iterator<Row> call(Iterator<Row> samples) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return samples.hasNext();
      }

      @Override
      public Row next() {
        Row sample = samples.next();
        Object[] values = new Object[2 + rewards.size()];
        values[0] = sample.getString(0);
        values[1] = sample.getInt(1);
        RgbImage image = decodeOrNull(sample.isNullAt(2) ? null : (byte[]) sample.get(2));
        for (int i = 0; i < rewards.size(); i++) {
          values[2 + i] = image == null ? null : rewards.get(i).score(image);
        }
        return RowFactory.create(values);
      }
    };
  }

  private static RgbImage decodeOrNull(byte[] bytes) {
    try {
      return ImageDecoder.decode(bytes);
    } catch (ImageDecodeException e) {
      return null;
    }
  }
}
