package ai.finerewards.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.report.ReportModel.Count;
import ai.finerewards.core.report.ReportModel.GalleryItem;
import ai.finerewards.core.report.ReportModel.LineageRow;
import ai.finerewards.core.report.ReportModel.ModelRow;
import ai.finerewards.core.report.ReportModel.NamedValue;
import ai.finerewards.core.report.ReportModel.PartBox;
import ai.finerewards.core.report.ReportModel.RoundGallery;
import ai.finerewards.core.report.ReportModel.SelectionRow;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The page escapes every data string and carries no script; a browser test (bin/test.d/70-report.sh) checks it renders. */
class ReportRendererTest {
  static final String SCRIPT = "<script>alert('x')</script> a cat on a sofa";
  static final String RTL = "\u05d7\u05ea\u05d5\u05dc \u05e2\u05dc \u05e1\u05e4\u05d4"; // Hebrew: "a cat on a sofa"
  static final String MULTILINE = "a dog\non the <b>beach</b> & \"quotes\" 'single' \ud83d\udc36";

  @Test
  void escapesDataTextEverywhereAndHasNoScript() throws IOException {
    String html = ReportRenderer.render(model());
    // The page's own markup has no script element and no inline event handler; data text never becomes one.
    assertThat(html).doesNotContainIgnoringCase("<script").doesNotContainIgnoringCase("onerror=")
        .doesNotContain("<b>beach</b>");
    // In text, jte escapes what could open markup (<, >, &); quotes matter only in attributes.
    assertThat(html).contains("&lt;script&gt;alert('x')&lt;/script&gt; a cat on a sofa")
        .contains(RTL).contains("a dog\non the &lt;b&gt;beach&lt;/b&gt; &amp; \"quotes\"")
        .contains("\ud83d\udc36");
    // In attributes, jte escapes quotes, & and < (a > cannot end a quoted attribute).
    assertThat(html).contains("alt=\"sample p&lt;1> #0\"")
        .contains("aria-label=\"held-out &lt;script>alert(&#39;x&#39;)&lt;/script> a cat on a sofa\"");
    assertThat(html).contains("Content-Security-Policy");
    // Every chart of the model appears as an SVG with drawn series.
    Matcher svg = Pattern.compile("<svg class=\"plot\"").matcher(html);
    int charts = 0;
    while (svg.find()) {
      charts++;
    }
    assertThat(charts).isEqualTo(model().allCharts().size());
    assertThat(html).contains("<polyline").contains("class=\"bar\"");
  }

  static ReportModel model() throws IOException {
    BufferedImage img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    img.setRGB(3, 4, 0xff0000);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    Thumbnail thumb = Thumbnail.of(png.toByteArray(), 32, "test image");
    GalleryItem item = new GalleryItem("p<1>", 0, SCRIPT, MULTILINE, "1", "0.5",
        List.of(), List.of(new NamedValue("caption_reward", "0.1")), thumb.dataUri(), thumb.width(), thumb.height(),
        List.of(new PartBox(1, 2, 10, 8, RTL, "0.9", "2.5", "#0072B2"), new PartBox(3, 3, 5, 5, null, null, null, "#E69F00")));
    Chart line = new Chart("heldout-r", "held-out " + SCRIPT, "checkpoint round", "mean", Chart.Kind.LINE,
        List.of(Chart.Series.line("mean", List.of(new Chart.Point(-1, 0.1), new Chart.Point(0, 0.2)))));
    Chart hist = new Chart("dist-r-0", "dist", "value", "share", Chart.Kind.HISTOGRAM,
        List.of(new Chart.Series("all", List.of(new Chart.Point(0, 0.5), new Chart.Point(0.5, 0.5)), 0.5)));
    return new ReportModel("runs/" + RTL, "1.0", "2026-01-01T00:00:00Z", 1, List.of("caption_reward"),
        EvaluationStats.of(List.of(new EvaluationStats.Value(-1, null, "caption_reward", 0.1))), List.of(line),
        List.of(hist), List.of(), List.of(new SelectionRow(0, 8, 2, List.of(new Count(MULTILINE, 1)))),
        List.of(new RoundGallery(0, List.of(item), List.of(item))), List.of(new ModelRow(0, "diffusion model", SCRIPT)),
        List.of(new LineageRow("ranked", 0, "rank", 8, "abc", "1.0", "now")));
  }
}
