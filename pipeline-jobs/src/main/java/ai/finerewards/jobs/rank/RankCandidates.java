package ai.finerewards.jobs.rank;

import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RewardSpec;
import ai.finerewards.core.reward.ImageReward;
import ai.finerewards.jobs.ml.ImageRewardTransformer;
import ai.finerewards.core.run.Stage;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the round's reward tables and joins them into one row per candidate: {@code prompt_id,
 * sample_idx, <reward>...} in the order of {@code finerewards.rank.rewards}. A missing or mistyped
 * key or reward column fails at once, naming the table and the column. The table {@code samples}
 * supplies the built-in image rewards ({@link ImageReward}), computed from its images by
 * {@link ImageRewardTransformer}.
 */
public final class RankCandidates {
  private RankCandidates() {}

  public static Dataset<Row> read(RoundTables tables, RankInputs inputs, RankConfig rank, int round) {
    Dataset<Row> joined = null;
    for (RankInputs.Source source : inputs.sources()) {
      if (source.suppliesImageRewards()) {
        Dataset<Row> part = imageRewards(tables, source, round);
        joined = joined == null ? part : fullJoin(joined, part);
        continue;
      }
      // A pipeline table is checked against its contract (version, columns); any other table (tests,
      // benchmarks, hand-made rewards) only for the columns rank needs, below.
      String writer = Stage.writerOf(source.table());
      Dataset<Row> table = Tables.all().stream().filter(c -> c.name().equals(source.table())).findFirst()
          .map(contract -> tables.read(contract, round, writer))
          .orElseGet(() -> tables.read(source.table(), round, writer));
      check(source.table(), round, table.schema(), "prompt_id", List.of(DataTypes.StringType), "string");
      check(source.table(), round, table.schema(), "sample_idx", List.of(DataTypes.IntegerType), "int");
      List<Column> cols = new ArrayList<>(List.of(functions.col("prompt_id"), functions.col("sample_idx")));
      for (String reward : source.columns()) {
        check(source.table(), round, table.schema(), reward, List.of(DataTypes.DoubleType, DataTypes.FloatType), "double");
        cols.add(functions.col(reward).cast(DataTypes.DoubleType).as(reward));
      }
      Dataset<Row> part = table.select(cols.toArray(new Column[0]));
      joined = joined == null ? part : fullJoin(joined, part);
    }
    List<Column> ordered = new ArrayList<>(List.of(functions.col("prompt_id"), functions.col("sample_idx")));
    for (RewardSpec reward : rank.rewards()) {
      ordered.add(functions.col(reward.name()));
    }
    return joined.select(ordered.toArray(new Column[0]));
  }

  /** The built-in rewards {@code source} names, computed from the round's sample images. */
  private static Dataset<Row> imageRewards(RoundTables tables, RankInputs.Source source, int round) {
    ImageRewardTransformer transformer = new ImageRewardTransformer().setRewards(source.columns().toArray(new String[0]));
    List<Column> cols = new ArrayList<>(List.of(functions.col("prompt_id"), functions.col("sample_idx")));
    source.columns().forEach(c -> cols.add(functions.col(c)));
    return transformer.transform(tables.read(Tables.SAMPLES, round, Stage.writerOf(Tables.SAMPLES.name()))
            .select(functions.col("prompt_id"), functions.col("sample_idx"), functions.col("image.bytes").as("image")))
        .select(cols.toArray(new Column[0]));
  }

  /** Full outer join on the key, so a candidate missing from one table keeps a null reward. */
  private static Dataset<Row> fullJoin(Dataset<Row> left, Dataset<Row> right) {
    Dataset<Row> r = right.withColumnRenamed("prompt_id", "_r_prompt_id").withColumnRenamed("sample_idx", "_r_sample_idx");
    Column on = left.col("prompt_id").equalTo(r.col("_r_prompt_id")).and(left.col("sample_idx").equalTo(r.col("_r_sample_idx")));
    Dataset<Row> j = left.join(r, on, "full_outer");
    List<Column> cols = new ArrayList<>();
    cols.add(functions.coalesce(j.col("prompt_id"), j.col("_r_prompt_id")).as("prompt_id"));
    cols.add(functions.coalesce(j.col("sample_idx"), j.col("_r_sample_idx")).as("sample_idx"));
    for (String c : left.columns()) {
      if (!c.equals("prompt_id") && !c.equals("sample_idx")) {
        cols.add(j.col(c));
      }
    }
    for (String c : right.columns()) {
      if (!c.equals("prompt_id") && !c.equals("sample_idx")) {
        cols.add(j.col(c));
      }
    }
    return j.select(cols.toArray(new Column[0]));
  }

  private static void check(String table, int round, StructType schema, String column, List<DataType> allowed, String expected) {
    StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(column)).findFirst().orElse(null);
    if (field == null) {
      throw new IllegalArgumentException("table " + table + " round " + round + " (read by rank): column " + column
          + ": expected " + expected + ", found no such column (columns: " + String.join(", ", schema.fieldNames()) + ")");
    }
    if (!allowed.contains(field.dataType())) {
      throw new IllegalArgumentException("table " + table + " round " + round + " (read by rank): column " + column
          + ": expected " + expected + ", found " + field.dataType().simpleString());
    }
  }
}
