package ai.finerewards.jobs.generate;

import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/** The row encoder of the {@code samples} table, built from its contract (columns in contract order). */
public final class SampleRows {
  private SampleRows() {}

  public static final Encoder<Row> ENCODER = Encoders.row(SparkSchemas.toStructType(Tables.SAMPLES));
}
