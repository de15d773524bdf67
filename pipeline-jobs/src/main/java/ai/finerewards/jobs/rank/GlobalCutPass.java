package ai.finerewards.jobs.rank;

import ai.finerewards.core.rank.GlobalCut;
import ai.finerewards.core.rank.GlobalTopFraction;
import ai.finerewards.core.rank.SelectionKey;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * The optional global top fraction over a round's ranked rows, as core's {@link GlobalTopFraction}
 * describes it, without collecting the rows: count the rows selected in their prompt (S), find the
 * k-th best of them ({@code k = ceil(fraction * S)}, one row to the driver), then keep a row
 * selected iff its key is that one or better. Input rows carry "selected in prompt" in {@code
 * selected} (see {@link RankPrompts}). The ranking is persisted so it is computed once; close the
 * pass after the write to free it.
 */
public final class GlobalCutPass implements AutoCloseable {
  private final Dataset<Row> persisted;
  private final Dataset<Row> result;

  private GlobalCutPass(Dataset<Row> persisted, Dataset<Row> result) {
    this.persisted = persisted;
    this.result = result;
  }

  public static GlobalCutPass over(Dataset<Row> ranked, double fraction) {
    Dataset<Row> persisted = ranked.persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> selected = persisted.filter(functions.col("selected"));
    long s = selected.count();
    long k = GlobalTopFraction.keepCount(s, fraction);
    if (k == s) {
      return new GlobalCutPass(persisted, persisted);
    }
    // Spark orders strings by UTF-8 bytes, i.e. by code point, like SelectionKey.
    Row kth = selected
        .orderBy(functions.col("assembled_score").desc(), functions.col("rank_in_prompt").asc(),
            functions.col("prompt_id").asc(), functions.col("sample_idx").asc())
        .offset((int) (k - 1)).limit(1).first();
    GlobalCut cut = GlobalCut.atKth(new SelectionKey(kth.getDouble(kth.fieldIndex("assembled_score")),
        kth.getInt(kth.fieldIndex("rank_in_prompt")), kth.getString(kth.fieldIndex("prompt_id")),
        kth.getInt(kth.fieldIndex("sample_idx"))));
    return new GlobalCutPass(persisted, persisted.map(new ApplyCut(cut), RankedRows.ENCODER));
  }

  public Dataset<Row> result() {
    return result;
  }

  @Override
  public void close() {
    persisted.unpersist();
  }

  /** Sets {@code selected} of one row from the cut; captures only the serializable cut. */
  static final class ApplyCut implements MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final GlobalCut cut;

    ApplyCut(GlobalCut cut) {
      this.cut = cut;
    }

    @Override
    public Row call(Row row) {
      int sel = row.fieldIndex("selected");
      boolean keep = row.getBoolean(sel) && cut.keeps(row.getDouble(row.fieldIndex("assembled_score")),
          row.getInt(row.fieldIndex("rank_in_prompt")), row.getString(row.fieldIndex("prompt_id")),
          row.getInt(row.fieldIndex("sample_idx")));
      Object[] values = new Object[row.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = i == sel ? keep : row.get(i);
      }
      return RowFactory.create(values);
    }
  }
}
