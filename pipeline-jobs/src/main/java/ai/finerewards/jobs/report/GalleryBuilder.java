package ai.finerewards.jobs.report;

import static org.apache.spark.sql.functions.col;

import ai.finerewards.core.report.ReportConfig;
import ai.finerewards.core.report.ReportModel.GalleryItem;
import ai.finerewards.core.report.ReportModel.PartBox;
import ai.finerewards.core.report.ReportModel.RoundGallery;
import ai.finerewards.core.report.Thumbnail;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * One round's gallery: the best and the worst selected candidates by assembled score, each with
 * its thumbnail (computed here from the {@code samples} bytes), caption, and the SAM parts with
 * their labels and the LLM's expected score for each label. Only these few candidates are read
 * whole.
 */
final class GalleryBuilder {
  private final RoundTables tables;
  private final int round;
  private final ReportConfig config;
  private final List<String> rewards;

  GalleryBuilder(RoundTables tables, int round, ReportConfig config, List<String> rewards) {
    this.tables = tables;
    this.round = round;
    this.config = config;
    this.rewards = rewards;
  }

  RoundGallery build() {
    int k = config.gallerySize();
    if (k == 0) {
      return new RoundGallery(round, List.of(), List.of());
    }
    Dataset<Row> selected = tables.read(Tables.RANKED, round, "rank")
        .filter(col("selected").and(col("assembled_score").isNotNull()));
    List<Row> best = selected.orderBy(col("assembled_score").desc(), col("prompt_id"), col("sample_idx")).limit(k).collectAsList();
    List<String> bestKeys = best.stream().map(GalleryBuilder::key).toList();
    List<Row> worst = selected.orderBy(col("assembled_score").asc(), col("prompt_id"), col("sample_idx")).limit(2 * k)
        .collectAsList().stream().filter(r -> !bestKeys.contains(key(r))).limit(k).toList();
    List<Row> all = new ArrayList<>(best);
    all.addAll(worst);
    if (all.isEmpty()) {
      return new RoundGallery(round, List.of(), List.of());
    }
    Column wanted = functions.lit(false);
    for (Row r : all) {
      wanted = wanted.or(col("prompt_id").equalTo(r.getAs("prompt_id")).and(col("sample_idx").equalTo(r.getAs("sample_idx"))));
    }
    Map<String, Row> samples = byKey(tables.read(Tables.SAMPLES, round, "generate").filter(wanted)
        .select("prompt_id", "sample_idx", "prompt", "image"));
    Map<String, Row> captions = optional(Tables.CAPTIONS.name(), "caption", wanted, "caption");
    Map<String, Row> segments = optional(Tables.SEGMENTS.name(), "segment", wanted, "parts");
    Map<String, Row> scores = optional(Tables.LLM_SCORES.name(), "score", wanted, "label_scores");
    return new RoundGallery(round, items(best, samples, captions, segments, scores),
        items(worst, samples, captions, segments, scores));
  }

  private List<GalleryItem> items(List<Row> ranked, Map<String, Row> samples, Map<String, Row> captions,
      Map<String, Row> segments, Map<String, Row> scores) {
    List<GalleryItem> items = new ArrayList<>();
    for (Row r : ranked) {
      String key = key(r);
      Row sample = samples.get(key);
      if (sample == null) {
        throw new IllegalStateException("report: ranked round " + round + " names candidate " + key
            + " that samples round " + round + " does not hold");
      }
      Row image = sample.getAs("image");
      Thumbnail thumb = Thumbnail.of(image.getAs("bytes"), config.thumbnailSize(), "samples round " + round + " " + key);
      Optional<String> caption = Optional.ofNullable(captions.get(key)).map(c -> c.getAs("caption"));
      items.add(ReportData.item(r, sample, caption, parts(segments.get(key), scores.get(key), thumb.scale()), thumb, rewards));
    }
    return items;
  }

  private static List<PartBox> parts(Row segment, Row score, double scale) {
    if (segment == null || segment.isNullAt(segment.fieldIndex("parts"))) {
      return List.of();
    }
    Map<String, Double> llm = new HashMap<>();
    if (score != null && !score.isNullAt(score.fieldIndex("label_scores"))) {
      for (Row s : score.<Row>getList(score.fieldIndex("label_scores"))) {
        llm.put(s.getAs("label"), s.getAs("expected_score"));
      }
    }
    List<PartBox> boxes = new ArrayList<>();
    for (Row p : segment.<Row>getList(segment.fieldIndex("parts"))) {
      String label = p.getAs("label");
      boxes.add(ReportData.box(p.getAs("bbox"), scale, label, p.getAs("label_prob"), label == null ? null : llm.get(label),
          boxes.size()));
    }
    return boxes;
  }

  private Map<String, Row> optional(String table, String writer, Column wanted, String column) {
    if (tables.store().committed(table, round).isEmpty()) {
      return Map.of();
    }
    return byKey(tables.read(Tables.byName(table), round, writer).filter(wanted).select("prompt_id", "sample_idx", column));
  }

  private static Map<String, Row> byKey(Dataset<Row> rows) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : rows.collectAsList()) {
      out.put(key(r), r);
    }
    return out;
  }

  private static String key(Row r) {
    return r.getAs("prompt_id") + " #" + r.getAs("sample_idx");
  }
}
