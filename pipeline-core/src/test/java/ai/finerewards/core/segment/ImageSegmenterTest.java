package ai.finerewards.core.segment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.model.ModelRuntime;
import com.typesafe.config.Config;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Segment and label whole images through the configured tiny models. */
class ImageSegmenterTest {

  private static ImageSegmenter open(String overrides) {
    Config root = TinyModelFixtures.config(overrides);
    return ImageSegmenter.open(ModelRuntime.from(root),
        SegmentConfig.from(root.getConfig("finerewards.segment")), List.of());
  }

  @Test
  void partsAreConsistentAndOrderedAndLabelled() {
    // The tiny random SAM has near-zero logits and low IoU predictions: loosen the filters (offset 0
    // makes every non-empty mask perfectly stable) so parts come out.
    String conf = "finerewards.segment { points-per-side = 8, points-per-batch = 10, pred-iou-thresh = 0.0, "
        + "stability-score-thresh = 0.5, stability-score-offset = 0.0, label-threshold = 0.0 }";
    try (ImageSegmenter s = open(conf)) {
      ImageSegmenter.Result r = s.segment(TinyModelFixtures.shapesPng(56, 40, 1));
      assertThat(r.error()).isNull();
      System.out.println("tiny SAM parts on a 56x40 image: " + r.parts().size());
      assertThat(r.parts()).isNotEmpty();
      double lastIou = Double.MAX_VALUE;
      for (int i = 0; i < r.parts().size(); i++) {
        ImageSegmenter.LabelledPart lp = r.parts().get(i);
        SegmentedPart p = lp.part();
        assertThat(p.partIdx()).isEqualTo(i);
        assertThat(p.predictedIou()).isLessThanOrEqualTo(lastIou);
        lastIou = p.predictedIou();
        assertThat(p.stability()).isGreaterThan(0.5);
        boolean[] decoded = CocoRle.decode(p.rleCounts(), 40, 56);
        assertThat(decoded).isEqualTo(p.mask());
        int area = 0;
        int x0 = 56;
        int y0 = 40;
        int x1 = 0;
        int y1 = 0;
        for (int k = 0; k < decoded.length; k++) {
          if (decoded[k]) {
            area++;
            x0 = Math.min(x0, k % 56);
            y0 = Math.min(y0, k / 56);
            x1 = Math.max(x1, k % 56 + 1);
            y1 = Math.max(y1, k / 56 + 1);
          }
        }
        assertThat(p.areaFraction()).isEqualTo(area / (40.0 * 56));
        assertThat(new int[] {p.x0(), p.y0(), p.x1(), p.y1()}).containsExactly(x0, y0, x1, y1);
        assertThat(lp.label()).isNotNull();
        assertThat(lp.labelProb()).isBetween(0.0, 1.0);
      }
      assertThat(s.segmenterModelId()).startsWith("tiny-segmenter@");
      assertThat(s.clipModelId()).startsWith("tiny-clip@");
      assertThat(s.vocabularyId()).hasSize(16);
    }
  }

  @Test
  void anUndecodableImageIsTheRowsError() {
    try (ImageSegmenter s = open("")) {
      ImageSegmenter.Result r = s.segment(new byte[] {1, 2, 3});
      assertThat(r.parts()).isNull();
      assertThat(r.error()).startsWith("undecodable image");
    }
  }

  @Test
  void defaultThresholdsAreSamsAndConfigErrorsNameTheKey() {
    SegmentConfig c = SegmentConfig.from(TinyModelFixtures.config("").getConfig("finerewards.segment"));
    assertThat(c.amg().pointsPerSide()).isEqualTo(32);
    assertThat(c.amg().predIouThresh()).isEqualTo(0.88);
    assertThat(c.amg().stabilityScoreThresh()).isEqualTo(0.95);
    assertThat(c.amg().boxNmsThresh()).isEqualTo(0.7);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SegmentConfig.from(
            TinyModelFixtures.config("finerewards.segment.points-per-side = 0").getConfig("finerewards.segment")))
        .hasMessageContaining("finerewards.segment.points-per-side = 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SegmentConfig.from(
            TinyModelFixtures.config("finerewards.segment.crop-background = [1, 2]").getConfig("finerewards.segment")))
        .hasMessageContaining("finerewards.segment.crop-background");
  }
}
