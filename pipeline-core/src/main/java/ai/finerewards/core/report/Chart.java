package ai.finerewards.core.report;

import java.util.List;

/**
 * A chart of the report as data: a line chart (points joined in x order) or a histogram (bars over
 * shared bins, one bar per series side by side). {@link ChartLayout} turns it into SVG geometry;
 * the template only draws what the layout computed.
 *
 * @param id unique within the page (an HTML id: letters, digits and dashes)
 * @param title shown above the chart (data text: escaped by the template)
 */
public record Chart(String id, String title, String xLabel, String yLabel, Kind kind, List<Series> series) {

  public enum Kind { LINE, HISTOGRAM }

  /** One series: for a line chart its (x, y) points; for a histogram its bins' (left edge, height) and the bin width. */
  public record Series(String name, List<Point> points, double binWidth) {
    public Series {
      points = List.copyOf(points);
    }

    public static Series line(String name, List<Point> points) {
      return new Series(name, points, 0);
    }
  }

  public record Point(double x, double y) {}

  public Chart {
    if (!id.matches("[A-Za-z][A-Za-z0-9-]*")) {
      throw new IllegalArgumentException("chart id must be letters, digits and dashes: " + id);
    }
    series = List.copyOf(series);
  }

  /** True when no series has a point: the report says "no data" instead of drawing empty axes. */
  public boolean isEmpty() {
    return series.stream().allMatch(s -> s.points().isEmpty());
  }
}
