package ai.finerewards.jobs.report;

import static org.apache.spark.sql.functions.col;

import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RewardSpec;
import ai.finerewards.core.report.Chart;
import ai.finerewards.core.report.ChartLayout;
import ai.finerewards.core.report.EvaluationStats;
import ai.finerewards.core.report.ReportConfig;
import ai.finerewards.core.report.ReportModel;
import ai.finerewards.core.report.ReportModel.Count;
import ai.finerewards.core.report.ReportModel.GalleryItem;
import ai.finerewards.core.report.ReportModel.LineageRow;
import ai.finerewards.core.report.ReportModel.ModelRow;
import ai.finerewards.core.report.ReportModel.NamedValue;
import ai.finerewards.core.report.ReportModel.PartBox;
import ai.finerewards.core.report.ReportModel.RoundGallery;
import ai.finerewards.core.report.ReportModel.SelectionRow;
import ai.finerewards.core.report.Thumbnail;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Collects a {@link ReportModel} for rounds 0..last from the run's committed tables. Aggregation
 * (histograms, counts) runs in Spark, so the driver receives a few hundred numbers however many
 * candidates were ranked; only the gallery's few candidates come to the driver whole, to be turned
 * into thumbnails. Optional tables (captions, segments, llm_scores, train_metrics, evaluations) are
 * used where committed.
 */
public final class ReportData {
  private final RoundTables tables;
  private final RankConfig rank;
  private final ReportConfig config;
  private final int last;
  private final List<String> rewards;

  public ReportData(RoundTables tables, RankConfig rank, ReportConfig config, int last) {
    this.tables = tables;
    this.rank = rank;
    this.config = config;
    this.last = last;
    this.rewards = rank.rewards().stream().map(RewardSpec::name).toList();
  }

  public ReportModel collect(String codeVersion, List<EvaluationStats.Value> evaluations) {
    Dataset<Row> ranked = union(Tables.RANKED.name(), "rank").orElseThrow(
        () -> new IllegalStateException("report: no committed ranked partition in rounds 0.." + last));
    List<EvaluationStats> heldOut = EvaluationStats.of(evaluations);
    return new ReportModel(tables.store().root().toString(), codeVersion, Instant.now().toString(), last + 1, rewards,
        heldOut, heldOutCharts(heldOut), distributionCharts(ranked), trainCharts(), selection(ranked), galleries(),
        models(), lineage());
  }

  /** The committed partitions of {@code table} in rounds 0..last, read through their contract, as one Dataset. */
  private Optional<Dataset<Row>> union(String table, String writer) {
    Dataset<Row> all = null;
    for (int r = 0; r <= last; r++) {
      if (tables.store().committed(table, r).isPresent()) {
        Dataset<Row> d = tables.read(Tables.byName(table), r, writer);
        all = all == null ? d : all.unionByName(d);
      }
    }
    return Optional.ofNullable(all);
  }

  private List<Chart> heldOutCharts(List<EvaluationStats> stats) {
    List<Chart> charts = new ArrayList<>();
    for (String reward : rewards) {
      List<Chart.Point> mean = new ArrayList<>();
      List<Chart.Point> median = new ArrayList<>();
      for (EvaluationStats s : stats) {
        if (s.reward().equals(reward) && s.n() > 0) {
          mean.add(new Chart.Point(s.checkpointRound(), s.mean()));
          median.add(new Chart.Point(s.checkpointRound(), s.median()));
        }
      }
      if (!mean.isEmpty()) {
        charts.add(new Chart("heldout-" + charts.size(), "held-out " + reward + " per checkpoint",
            "checkpoint round (-1 = base model)", reward, Chart.Kind.LINE,
            List.of(Chart.Series.line("mean", mean), Chart.Series.line("median", median))));
      }
    }
    return charts;
  }

  /** Per reward and round: the share of all candidates and of the selected ones in each bin (bins shared by rounds). */
  private List<Chart> distributionCharts(Dataset<Row> ranked) {
    Dataset<Row> values = ranked.select(col("round"), col("selected"), functions.explode(col("rewards")).as(new String[] {"reward", "value"}))
        .filter(col("value").isNotNull().and(functions.not(functions.isnan(col("value")))));
    Map<String, double[]> ranges = new HashMap<>();
    for (Row r : values.groupBy("reward").agg(functions.min("value"), functions.max("value")).collectAsList()) {
      ranges.put(r.getString(0), new double[] {r.getDouble(1), r.getDouble(2)});
    }
    int bins = config.histogramBins();
    Column bin = functions.lit(0);
    for (Map.Entry<String, double[]> e : ranges.entrySet()) {
      double width = binWidth(e.getValue(), bins);
      bin = functions.when(col("reward").equalTo(e.getKey()),
          functions.least(functions.floor(col("value").minus(e.getValue()[0]).divide(width)).cast("int"), functions.lit(bins - 1)))
          .otherwise(bin);
    }
    // counts[reward][round][selected?1:0][bin]
    Map<String, Map<Integer, long[][]>> counts = new TreeMap<>();
    for (Row r : values.withColumn("bin", bin).groupBy("reward", "round", "selected", "bin").count().collectAsList()) {
      long[][] c = counts.computeIfAbsent(r.getString(0), k -> new TreeMap<>())
          .computeIfAbsent(r.getInt(1), k -> new long[2][bins]);
      c[r.getBoolean(2) ? 1 : 0][r.getInt(3)] += r.getLong(4);
    }
    List<Chart> charts = new ArrayList<>();
    for (String reward : rewards) {
      if (!counts.containsKey(reward)) {
        continue;
      }
      double[] range = ranges.get(reward);
      double width = binWidth(range, bins);
      for (Map.Entry<Integer, long[][]> e : counts.get(reward).entrySet()) {
        long[] selected = e.getValue()[1];
        long[] all = new long[bins];
        for (int b = 0; b < bins; b++) {
          all[b] = e.getValue()[0][b] + selected[b];
        }
        charts.add(new Chart("dist-" + charts.size(), reward + ", round " + e.getKey(), reward, "share of candidates",
            Chart.Kind.HISTOGRAM, List.of(shares("all candidates", all, range[0], width),
                shares("selected", selected, range[0], width))));
      }
    }
    return charts;
  }

  private static double binWidth(double[] range, int bins) {
    double w = (range[1] - range[0]) / bins;
    return w > 0 ? w : 1e-9; // one distinct value: every candidate falls in bin 0
  }

  private static Chart.Series shares(String name, long[] counts, double min, double width) {
    long total = java.util.Arrays.stream(counts).sum();
    List<Chart.Point> points = new ArrayList<>();
    for (int b = 0; b < counts.length && total > 0; b++) {
      points.add(new Chart.Point(min + b * width, (double) counts[b] / total));
    }
    return new Chart.Series(name + " (" + total + ")", points, width);
  }

  private List<Chart> trainCharts() {
    Optional<Dataset<Row>> metrics = union(Tables.TRAIN_METRICS.name(), "train");
    if (metrics.isEmpty()) {
      return List.of();
    }
    Map<Integer, List<Chart.Point>> loss = new TreeMap<>();
    Map<Integer, List<Chart.Point>> lr = new TreeMap<>();
    Map<Integer, List<Chart.Point>> grad = new TreeMap<>();
    for (Row r : metrics.get().select("round", "step", "loss", "lr", "grad_norm").collectAsList()) {
      int round = r.getInt(0);
      loss.computeIfAbsent(round, k -> new ArrayList<>()).add(new Chart.Point(r.getInt(1), r.getDouble(2)));
      lr.computeIfAbsent(round, k -> new ArrayList<>()).add(new Chart.Point(r.getInt(1), r.getDouble(3)));
      if (!r.isNullAt(4)) {
        grad.computeIfAbsent(round, k -> new ArrayList<>()).add(new Chart.Point(r.getInt(1), r.getDouble(4)));
      }
    }
    return List.of(perRound("train-loss", "training loss", "loss", loss), perRound("train-lr", "learning rate", "lr", lr),
        perRound("train-grad", "gradient norm (before clipping)", "grad norm", grad));
  }

  private static Chart perRound(String id, String title, String y, Map<Integer, List<Chart.Point>> byRound) {
    List<Chart.Series> series = new ArrayList<>();
    byRound.forEach((round, points) -> series.add(Chart.Series.line("round " + round, points)));
    return new Chart(id, title, "optimiser step", y, Chart.Kind.LINE, series);
  }

  private List<SelectionRow> selection(Dataset<Row> ranked) {
    Map<Integer, long[]> totals = new TreeMap<>(); // [candidates, selected]
    Map<Integer, List<Count>> excluded = new TreeMap<>();
    for (Row r : ranked.groupBy("round", "selected", "excluded_reason").count().orderBy("round", "excluded_reason").collectAsList()) {
      long[] t = totals.computeIfAbsent(r.getInt(0), k -> new long[2]);
      t[0] += r.getLong(3);
      if (r.getBoolean(1)) {
        t[1] += r.getLong(3);
      }
      if (!r.isNullAt(2)) {
        excluded.computeIfAbsent(r.getInt(0), k -> new ArrayList<>()).add(new Count(r.getString(2), r.getLong(3)));
      }
    }
    List<SelectionRow> rows = new ArrayList<>();
    totals.forEach((round, t) -> rows.add(new SelectionRow(round, t[0], t[1], excluded.getOrDefault(round, List.of()))));
    return rows;
  }

  private List<RoundGallery> galleries() {
    List<RoundGallery> out = new ArrayList<>();
    for (int r = 0; r <= last; r++) {
      if (tables.store().committed(Tables.RANKED.name(), r).isPresent()) {
        out.add(new GalleryBuilder(tables, r, config, rewards).build());
      }
    }
    return out;
  }

  private List<ModelRow> models() {
    List<ModelRow> rows = new ArrayList<>();
    for (int r = 0; r <= last; r++) {
      distinct(rows, r, Tables.SAMPLES.name(), "generate", "model_id", "diffusion model");
      distinct(rows, r, Tables.SAMPLES.name(), "generate", "lora_checkpoint_id", "LoRA the round generated with");
      distinct(rows, r, Tables.CAPTIONS.name(), "caption", "captioner_model_id", "captioner");
      distinct(rows, r, Tables.CAPTIONS.name(), "caption", "clip_model_id", "CLIP (caption reward)");
      distinct(rows, r, Tables.SEGMENTS.name(), "segment", "segmenter_model_id", "segmenter");
      distinct(rows, r, Tables.SEGMENTS.name(), "segment", "label_vocabulary_id", "label vocabulary");
      distinct(rows, r, Tables.LLM_SCORES.name(), "score", "llm_model_id", "LLM");
      distinct(rows, r, Tables.TRAIN_METRICS.name(), "train", "checkpoint_id", "LoRA checkpoint trained");
    }
    return rows;
  }

  private void distinct(List<ModelRow> rows, int round, String table, String writer, String column, String role) {
    if (tables.store().committed(table, round).isEmpty()) {
      return;
    }
    for (Row r : tables.read(Tables.byName(table), round, writer).select(column).distinct().orderBy(column).collectAsList()) {
      if (r.isNullAt(0) && !column.equals("lora_checkpoint_id")) {
        continue;
      }
      rows.add(new ModelRow(round, role, r.isNullAt(0) ? "none (base model)" : r.getString(0)));
    }
  }

  private List<LineageRow> lineage() {
    List<String> names = new ArrayList<>();
    for (var c : Tables.all()) {
      if (c.storage() == ai.finerewards.schemas.Storage.PARQUET && !c.name().equals(Tables.REPORT.name())) {
        names.add(c.name());
      }
    }
    names.add(CheckpointStore.TABLE);
    Map<String, List<LineageRow>> byTable = new LinkedHashMap<>();
    for (String t : names) {
      for (int r = 0; r <= last; r++) {
        Optional<CommitMarker> m = tables.store().committed(t, r);
        m.ifPresent(marker -> byTable.computeIfAbsent(t, k -> new ArrayList<>()).add(new LineageRow(marker.table(),
            marker.round(), marker.stage(), marker.rowCount(), abbreviate(marker.fingerprint()), marker.codeVersion(),
            marker.committedAt())));
      }
    }
    return byTable.values().stream().flatMap(List::stream).toList();
  }

  private static String abbreviate(String fingerprint) {
    return fingerprint == null ? "-" : fingerprint.substring(0, Math.min(12, fingerprint.length()));
  }

  /** A reward value for a table cell. */
  static NamedValue value(String name, Double v) {
    return new NamedValue(name, v == null ? "missing" : ChartLayout.fmtValue(v));
  }

  /** Unused bounding box colours cycle through the chart palette's first colours. */
  static String color(int i) {
    return List.of("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7").get(i % 7);
  }

  static PartBox box(Row bbox, double scale, String label, Double labelProb, Double llm, int i) {
    return new PartBox(bbox.getInt(0) * scale, bbox.getInt(1) * scale, (bbox.getInt(2) - bbox.getInt(0)) * scale,
        (bbox.getInt(3) - bbox.getInt(1)) * scale, label, labelProb == null ? null : ChartLayout.fmtValue(labelProb),
        llm == null ? null : String.format(java.util.Locale.ROOT, "%.2f", llm), color(i));
  }

  static GalleryItem item(Row ranked, Row sample, Optional<String> caption, List<PartBox> parts, Thumbnail thumb,
      List<String> rewards) {
    Map<String, Double> values = ranked.getJavaMap(ranked.fieldIndex("rewards"));
    List<NamedValue> rv = new ArrayList<>();
    for (String name : rewards) {
      rv.add(value(name, values.get(name)));
    }
    return new GalleryItem(ranked.getString(ranked.fieldIndex("prompt_id")), ranked.getInt(ranked.fieldIndex("sample_idx")),
        sample.getString(sample.fieldIndex("prompt")), caption.orElse(null),
        String.valueOf(ranked.get(ranked.fieldIndex("rank_in_prompt"))),
        ChartLayout.fmtValue(ranked.getDouble(ranked.fieldIndex("assembled_score"))), List.of(), rv, thumb.dataUri(),
        thumb.width(), thumb.height(), parts);
  }
}
