package ai.finerewards.jobs.rank;

import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/** The row encoder of the {@code ranked} table, built from its contract (columns in contract order). */
public final class RankedRows {
  private RankedRows() {}

  public static final Encoder<Row> ENCODER = Encoders.row(SparkSchemas.toStructType(Tables.RANKED));
}
