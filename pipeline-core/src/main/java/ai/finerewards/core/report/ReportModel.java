package ai.finerewards.core.report;

import java.util.List;

/**
 * Everything the HTML report shows, as plain values: the Spark job collects it from the run's
 * tables, {@link ReportRenderer} writes it out. All strings are data (prompts, captions, labels,
 * ids) and are escaped by the template; numbers are preformatted where the table shows text.
 *
 * @param heldOut per checkpoint and reward, the held-out evaluation statistics (base model = round -1)
 * @param distributionCharts per reward and round, histograms of all candidates vs selected ones
 * @param trainCharts loss, learning rate and gradient norm per step, a series per round
 */
public record ReportModel(
    String runRoot,
    String codeVersion,
    String generatedAt,
    int rounds,
    List<String> rewards,
    List<EvaluationStats> heldOut,
    List<Chart> heldOutCharts,
    List<Chart> distributionCharts,
    List<Chart> trainCharts,
    List<SelectionRow> selection,
    List<RoundGallery> galleries,
    List<ModelRow> models,
    List<LineageRow> lineage) {

  public ReportModel {
    rewards = List.copyOf(rewards);
    heldOut = List.copyOf(heldOut);
    heldOutCharts = List.copyOf(heldOutCharts);
    distributionCharts = List.copyOf(distributionCharts);
    trainCharts = List.copyOf(trainCharts);
    selection = List.copyOf(selection);
    galleries = List.copyOf(galleries);
    models = List.copyOf(models);
    lineage = List.copyOf(lineage);
  }

  /** Every chart of the page, in page order (the browser test expects each to be drawn). */
  public List<Chart> allCharts() {
    List<Chart> all = new java.util.ArrayList<>(heldOutCharts);
    all.addAll(distributionCharts);
    all.addAll(trainCharts);
    return all;
  }

  /** One round's selection: candidates, how many were ranked and selected, and exclusions by reason. */
  public record SelectionRow(int round, long candidates, long selected, List<Count> excluded) {
    public SelectionRow {
      excluded = List.copyOf(excluded);
    }

    public long excludedTotal() {
      return excluded.stream().mapToLong(Count::count).sum();
    }
  }

  public record Count(String what, long count) {}

  /** A round's gallery: its best and worst selected candidates by assembled score. */
  public record RoundGallery(int round, List<GalleryItem> best, List<GalleryItem> worst) {
    public RoundGallery {
      best = List.copyOf(best);
      worst = List.copyOf(worst);
    }
  }

  /**
   * One candidate of a gallery: its thumbnail (a data URI), prompt, caption, rewards, rank and the
   * SAM parts drawn over the image in thumbnail pixels.
   */
  public record GalleryItem(String promptId, int sampleIdx, String prompt, String caption, String rank,
      String assembledScore, List<Count> rewardRanks, List<NamedValue> rewards, String imageUri, int width, int height,
      List<PartBox> parts) {
    public GalleryItem {
      rewardRanks = List.copyOf(rewardRanks);
      rewards = List.copyOf(rewards);
      parts = List.copyOf(parts);
    }

    /** Font size of part labels in thumbnail pixels: readable once the image is shown at 192 px. */
    public double labelSize() {
      return Math.max(4, Math.round(width / 16.0 * 10) / 10.0);
    }
  }

  public record NamedValue(String name, String value) {}

  /**
   * A SAM part on the thumbnail: its box (thumbnail pixels), its label, CLIP probability and the
   * LLM's expected score for the label (null when the part has no label or was not scored).
   */
  public record PartBox(double x, double y, double w, double h, String label, String labelProb, String llmScore,
      String color) {
    public String caption() {
      String name = label == null ? "(no label)" : label;
      return llmScore == null ? name : name + " " + llmScore;
    }
  }

  /** A model or checkpoint id behind a round's tables. */
  public record ModelRow(int round, String role, String id) {}

  /** One committed partition the report read: its commit marker's lineage fields. */
  public record LineageRow(String table, int round, String stage, long rows, String fingerprint, String codeVersion,
      String committedAt) {}
}
