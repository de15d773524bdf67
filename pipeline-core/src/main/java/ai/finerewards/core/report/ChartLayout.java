package ai.finerewards.core.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SVG geometry of a {@link Chart}, computed on the JVM: the report draws its charts as inline SVG
 * (no chart script, nothing to load), so it opens offline and no data can reach a script. Axes get
 * "nice" ticks (1, 2, 5 x 10^k steps); coordinates are rounded to 0.1 px.
 */
public record ChartLayout(Chart chart, int width, int height, Box plot, List<Tick> xTicks, List<Tick> yTicks,
    List<Shape> shapes) {

  public static final int WIDTH = 420;
  public static final int HEIGHT = 240;
  /** Colour-blind-safe palette (Okabe and Ito), one colour per series in order. */
  static final List<String> PALETTE = List.of("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
      "#F0E442", "#000000");

  public record Box(double left, double top, double right, double bottom) {
    public double width() {
      return right - left;
    }

    public double height() {
      return bottom - top;
    }
  }

  /** A tick at pixel position {@code at} with its text. */
  public record Tick(double at, String label) {}

  public record Rect(double x, double y, double w, double h) {}

  /** One series drawn: polyline points ("x,y x,y") and dots for a line chart, rectangles for a histogram. */
  public record Shape(String name, String color, String polyline, List<Tick> dotsX, List<Double> dotsY, List<Rect> bars,
      double legendX) {}

  public static ChartLayout of(Chart chart) {
    Box plot = new Box(56, 12, WIDTH - 12, HEIGHT - 44);
    double[] xr = range(chart, true);
    double[] yr = range(chart, false);
    if (chart.kind() == Chart.Kind.HISTOGRAM) {
      yr[0] = 0; // bars grow from zero
    }
    double[] xs = niceRange(xr[0], xr[1]);
    if (chart.kind() == Chart.Kind.LINE && integralX(chart) && xs[2] < 1) { // rounds and steps: whole ticks
      xs = new double[] {Math.floor(xr[0]), Math.ceil(xr[1]), 1};
      if (xs[0] == xs[1]) {
        xs = new double[] {xs[0] - 1, xs[1] + 1, 1};
      }
    }
    double[] ys = niceRange(yr[0], yr[1]);
    List<Tick> xTicks = ticks(xs, plot.left(), plot.right(), false);
    List<Tick> yTicks = ticks(ys, plot.bottom(), plot.top(), true);
    List<Shape> shapes = new ArrayList<>();
    int n = chart.series().size();
    double legendX = plot.left() + 8;
    for (int i = 0; i < n; i++) {
      Chart.Series s = chart.series().get(i);
      String color = PALETTE.get(i % PALETTE.size());
      if (chart.kind() == Chart.Kind.LINE) {
        StringBuilder poly = new StringBuilder();
        List<Tick> dx = new ArrayList<>();
        List<Double> dy = new ArrayList<>();
        for (Chart.Point p : s.points().stream().sorted((a, b) -> Double.compare(a.x(), b.x())).toList()) {
          double px = map(p.x(), xs, plot.left(), plot.right());
          double py = map(p.y(), ys, plot.bottom(), plot.top());
          poly.append(poly.length() == 0 ? "" : " ").append(fmt(px)).append(',').append(fmt(py));
          dx.add(new Tick(round(px), fmtValue(p.y())));
          dy.add(round(py));
        }
        shapes.add(new Shape(s.name(), color, poly.toString(), dx, dy, List.of(), legendX));
      } else {
        List<Rect> bars = new ArrayList<>();
        for (Chart.Point p : s.points()) {
          double x0 = map(p.x(), xs, plot.left(), plot.right());
          double x1 = map(p.x() + s.binWidth(), xs, plot.left(), plot.right());
          double w = (x1 - x0) / n;
          double top = map(p.y(), ys, plot.bottom(), plot.top());
          bars.add(new Rect(round(x0 + i * w), round(top), round(Math.max(w - 0.5, 0.5)), round(plot.bottom() - top)));
        }
        shapes.add(new Shape(s.name(), color, "", List.of(), List.of(), bars, legendX));
      }
      legendX += 30 + 6 * s.name().length(); // about 6 px a character at the legend's 10 px font
    }
    return new ChartLayout(chart, WIDTH, HEIGHT, plot, xTicks, yTicks, shapes);
  }

  private static boolean integralX(Chart chart) {
    return chart.series().stream().flatMap(s -> s.points().stream()).allMatch(p -> p.x() == Math.rint(p.x()));
  }

  private static double[] range(Chart chart, boolean x) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Chart.Series s : chart.series()) {
      for (Chart.Point p : s.points()) {
        double v = x ? p.x() : p.y();
        double v2 = x && chart.kind() == Chart.Kind.HISTOGRAM ? p.x() + s.binWidth() : v;
        if (Double.isFinite(v)) {
          lo = Math.min(lo, Math.min(v, v2));
          hi = Math.max(hi, Math.max(v, v2));
        }
      }
    }
    return lo <= hi ? new double[] {lo, hi} : new double[] {0, 1};
  }

  /** [start, end, step] covering [lo, hi] with about 5 ticks of a 1, 2 or 5 x 10^k step. */
  static double[] niceRange(double lo, double hi) {
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) { // one value: give it some room
      double pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.5;
      lo -= pad;
      hi += pad;
    }
    double raw = (hi - lo) / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    return new double[] {Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step};
  }

  private static List<Tick> ticks(double[] r, double from, double to, boolean vertical) {
    List<Tick> out = new ArrayList<>();
    long count = Math.round((r[1] - r[0]) / r[2]);
    for (long k = 0; k <= count; k++) {
      double v = r[0] + k * r[2];
      out.add(new Tick(round(map(v, r, from, to)), fmtTick(v, r[2])));
    }
    return out;
  }

  private static double map(double v, double[] r, double from, double to) {
    return from + (v - r[0]) / (r[1] - r[0]) * (to - from);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String fmtTick(double v, double step) {
    if (step < 1e-3 || step >= 1e6) { // 0.0000096 would not fit beside the axis: 9.6e-06
      return Math.abs(v) < step / 1e6 ? "0" : String.format(Locale.ROOT, "%.3g", v);
    }
    int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", Math.abs(v) < step / 1e6 ? 0.0 : v);
  }

  /** A value for a tooltip or a table: 4 significant digits. */
  public static String fmtValue(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4g", v) : "n/a";
  }
}
