package ai.finerewards.jobs.rank;

import ai.finerewards.schemas.ColumnSpec;
import ai.finerewards.schemas.ColumnType;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.jobs.io.ContractCheck;
import ai.finerewards.schemas.TableContract;
import java.util.List;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The {@code ranked} table contract, version 1, as data-schemas defines it (rewards and their ranks
 * as maps keyed by reward name). A local copy until data-schemas' {@code Tables.RANKED} is on main;
 * then this class goes and the job uses that.
 */
public final class RankedContract {
  private RankedContract() {}

  private static ColumnSpec col(String name, ColumnType type, boolean nullable, String doc) {
    return new ColumnSpec(name, type, nullable, doc, "");
  }

  public static final TableContract RANKED = new TableContract(
      "ranked", 1,
      "Every candidate with each reward, its per-reward rank, the assembled score, its rank within the prompt and"
          + " whether it was selected for training.",
      "rank", List.of("train", "report"), List.of("round"), List.of("round", "prompt_id", "sample_idx"),
      List.of(
          col("round", Primitive.INT, false, "RAFT round"),
          col("prompt_id", Primitive.STRING, false, "id of the prompt"),
          col("sample_idx", Primitive.INT, false, "index of the sample within the prompt"),
          col("rewards", new ColumnType.MapOf(Primitive.DOUBLE), false, "reward name -> value; null = missing"),
          col("reward_ranks", new ColumnType.MapOf(Primitive.DOUBLE), false, "reward name -> rank in prompt, 1 = best"),
          col("assembly", Primitive.STRING, false, "rank_sum, zscore or weighted_sum"),
          col("assembled_score", Primitive.DOUBLE, true, "combined score, higher is better; null when excluded"),
          col("rank_in_prompt", Primitive.INT, true, "1-based position within the prompt; null when excluded"),
          col("selected", Primitive.BOOLEAN, false, "kept for training this round"),
          col("excluded_reason", Primitive.STRING, true, "why the candidate was not ranked, or null"),
          col("created_at", Primitive.TIMESTAMP, false, "when the ranking was computed")));

  /** Row encoder for rows of {@link #RANKED}, in contract column order. */
  public static final Encoder<Row> ENCODER = Encoders.row(ContractCheck.structType(RANKED));
}
