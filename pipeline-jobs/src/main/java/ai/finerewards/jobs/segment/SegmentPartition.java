package ai.finerewards.jobs.segment;

import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.segment.ImageSegmenter;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.core.segment.SegmentedPart;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Samples rows (round, prompt_id, sample_idx, image) to {@code segments} rows: one ImageSegmenter
 * per task, images streamed one by one. Captures only serializable config.
 */
public final class SegmentPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  public static final Encoder<Row> ENCODER = Encoders.row(SparkSchemas.toStructType(Tables.SEGMENTS));

  private final ModelRuntime runtime;
  private final SegmentConfig config;
  private final Timestamp createdAt;

  public SegmentPartition(ModelRuntime runtime, SegmentConfig config, Timestamp createdAt) {
    this.runtime = runtime;
    this.config = config;
    this.createdAt = createdAt;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    return new BatchedIterator<Row, Row, ImageSegmenter>(rows, 1,
        () -> ImageSegmenter.open(runtime, config, TaskGpus.addresses()),
        (segmenter, batch) -> {
          List<Row> out = new ArrayList<>(batch.size());
          for (Row r : batch) {
            out.add(segment(segmenter, r));
          }
          return out;
        });
  }

  private Row segment(ImageSegmenter s, Row in) {
    Row image = in.getAs("image");
    byte[] bytes = image == null ? null : image.getAs("bytes");
    ImageSegmenter.Result result = s.segment(bytes);
    Row[] parts = null;
    if (result.error() == null) {
      parts = new Row[result.parts().size()];
      for (int i = 0; i < parts.length; i++) {
        parts[i] = part(result.parts().get(i));
      }
    }
    return RowFactory.create(in.getAs("round"), in.getAs("prompt_id"), in.getAs("sample_idx"), parts,
        parts == null ? 0 : parts.length, s.segmenterModelId(), s.clipModelId(), s.vocabularyId(),
        result.error(), createdAt);
  }

  private static Row part(ImageSegmenter.LabelledPart lp) {
    SegmentedPart p = lp.part();
    return RowFactory.create(p.partIdx(), lp.label(), lp.labelProb(), p.areaFraction(),
        RowFactory.create(p.x0(), p.y0(), p.x1(), p.y1()), p.stability(), p.predictedIou(),
        RowFactory.create(new Integer[] {p.height(), p.width()}, p.rleCounts()));
  }
}
