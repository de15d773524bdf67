package ai.finerewards.jobs.ml;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Runs a stage's partition function (CaptionPartition, SegmentPartition, GeneratePartition, ...)
 * on a user's rows and appends chosen fields of its output to each input row. The stage functions
 * emit exactly one output row per input row, in input order, lazily; so the input rows the function
 * has pulled but not yet answered wait in a queue, and each output row is paired with the oldest.
 * The stage function's own loop (batching, model leases, closing) is used as it is.
 */
final class AlignedRows implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** Builds the stage function's input row from a user row. */
  interface ToStageRow extends Serializable {
    Row apply(Row userRow);
  }

  private final MapPartitionsFunction<Row, Row> stage;
  private final ToStageRow toStage;
  private final int[] outputFields;

  /**
   * @param outputFields indices, in the stage function's output rows, of the values appended
   */
  AlignedRows(MapPartitionsFunction<Row, Row> stage, ToStageRow toStage, int[] outputFields) {
    this.stage = stage;
    this.toStage = toStage;
    this.outputFields = outputFields.clone();
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws Exception {
    ArrayDeque<Row> waiting = new ArrayDeque<>();
    Iterator<Row> fed = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row user = rows.next();
        waiting.addLast(user);
        return toStage.apply(user);
      }
    };
    Iterator<Row> out = stage.call(fed);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return out.hasNext();
      }

      @Override
      public Row next() {
        Row result = out.next();
        Row user = waiting.pollFirst();
        if (user == null) {
          throw new IllegalStateException("stage function " + stage.getClass().getSimpleName()
              + " emitted more rows than it read");
        }
        Object[] values = new Object[user.length() + outputFields.length];
        for (int i = 0; i < user.length(); i++) {
          values[i] = user.get(i);
        }
        for (int i = 0; i < outputFields.length; i++) {
          values[user.length() + i] = result.get(outputFields[i]);
        }
        return RowFactory.create(values);
      }
    };
  }
}
