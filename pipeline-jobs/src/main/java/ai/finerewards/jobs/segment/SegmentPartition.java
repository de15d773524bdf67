package ai.finerewards.jobs.segment;

import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.segment.ImageSegmenter;
import ai.finerewards.core.segment.SegmentConfig;
import ai.finerewards.core.segment.SegmentedPart;
import ai.finerewards.jobs.task.OverlappedBatches;
import ai.finerewards.jobs.task.TaskGpus;
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
 * per task, images streamed one by one, each decoded ahead of the model and turned into a row behind
 * it ({@link OverlappedBatches}). Captures only serializable config.
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
    if (!rows.hasNext()) {
      return List.<Row>of().iterator(); // an empty partition loads no model
    }
    List<String> gpus = TaskGpus.forModels(runtime, "segment");
    // One image per model batch (SAM runs one image at a time); decoding runs ahead of it.
    return new OverlappedBatches<Row, List<ImageSegmenter.Decoded>, List<ImageSegmenter.Result>, Row, ImageSegmenter>(
        "segment", rows, OverlappedBatches.BatchReader.fixed(1), OverlappedBatches.DEFAULT_PREFETCH,
        new OverlappedBatches.Steps<>() {
          @Override
          public ImageSegmenter open() {
            return ImageSegmenter.open(runtime, config, gpus);
          }

          @Override
          public List<ImageSegmenter.Decoded> prepare(List<Row> batch) {
            List<ImageSegmenter.Decoded> out = new ArrayList<>(batch.size());
            for (Row r : batch) {
              Row image = r.getAs("image");
              out.add(ImageSegmenter.decode(image == null ? null : image.getAs("bytes")));
            }
            return out;
          }

          @Override
          public List<ImageSegmenter.Result> run(ImageSegmenter segmenter, List<ImageSegmenter.Decoded> decoded) {
            List<ImageSegmenter.Result> out = new ArrayList<>(decoded.size());
            for (ImageSegmenter.Decoded d : decoded) {
              out.add(segmenter.segment(d));
            }
            return out;
          }

          @Override
          public List<Row> finish(ImageSegmenter segmenter, List<Row> batch, List<ImageSegmenter.Result> results) {
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
              out.add(row(segmenter, batch.get(i), results.get(i)));
            }
            return out;
          }
        });
  }

  private Row row(ImageSegmenter s, Row in, ImageSegmenter.Result result) {
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
