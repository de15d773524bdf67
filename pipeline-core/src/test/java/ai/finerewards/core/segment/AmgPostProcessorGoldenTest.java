package ai.finerewards.core.segment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.TorchScriptModels;
import ai.finerewards.core.io.Safetensors;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AMG post-processing against finerewards_export.amg on the synthetic decoder outputs golden: the
 * Java CPU path, and the exported amg_postprocess graph (the device path) feeding the same NMS.
 */
class AmgPostProcessorGoldenTest {
  private final Safetensors g = TinyModelFixtures.golden("segmenter", "amg");
  private final JsonObject meta = TinyModelFixtures.goldenJson("segmenter", "amg");

  private static int[] pair(JsonObject o, String key) {
    JsonArray a = o.getAsJsonArray(key);
    return new int[] {a.get(0).getAsInt(), a.get(1).getAsInt()};
  }

  private static List<Integer> ints(JsonArray a) {
    List<Integer> l = new ArrayList<>();
    a.forEach(e -> l.add(e.getAsInt()));
    return l;
  }

  private MaskUpscaler upscaler() {
    int[] orig = pair(meta, "original_size");
    int[] resized = pair(meta, "reshaped_input_size");
    int[] pad = pair(meta, "pad_size");
    return new MaskUpscaler(pad[0], pad[1], resized[0], resized[1], orig[0], orig[1]);
  }

  private AmgSettings settings() {
    JsonObject t = meta.getAsJsonObject("thresholds");
    return new AmgSettings(32, 64, t.get("pred_iou_thresh").getAsDouble(), t.get("stability_score_thresh").getAsDouble(),
        t.get("stability_score_offset").getAsDouble(), t.get("mask_threshold").getAsDouble(),
        t.get("box_nms_thresh").getAsDouble(), t.get("min_mask_area").getAsInt());
  }

  @Test
  void stabilityScoresOfEveryCandidateMatch() {
    float[] pred = g.tensor("pred_masks").floats();
    float[] expected = g.tensor("stability_scores").floats();
    MaskUpscaler up = upscaler();
    for (int c = 0; c < expected.length; c++) {
      float s = AmgPostProcessor.stabilityScore(up.upscale(pred, c * 32 * 32, 32, 32), 0.0, 1.0);
      assertThat(s).as("stability of candidate %d", c).isEqualTo(expected[c]);
    }
  }

  @Test
  void everyStageKeepsWhatTheReferenceKeeps() {
    AmgPostProcessor post = new AmgPostProcessor(settings(), upscaler());
    float[] pred = g.tensor("pred_masks").floats();
    float[] iou = g.tensor("iou_scores").floats();
    // Two batches (2 + 2 points): candidate indices must continue across batches.
    int half = 2 * 3 * 32 * 32;
    post.add(java.util.Arrays.copyOfRange(pred, 0, half), java.util.Arrays.copyOfRange(iou, 0, 6), 2, 32, 32);
    post.add(java.util.Arrays.copyOfRange(pred, half, pred.length), java.util.Arrays.copyOfRange(iou, 6, 12), 2, 32, 32);
    assertMatchesReference(post.finish());
  }

  /**
   * The same two batches through the tiny model directory's amg_postprocess.pt (on the CPU here; the
   * graph is what runs on a GPU): the filters run in libtorch, the masks come back as booleans, and
   * NMS and the minimum area in Java give the reference's stages and outputs exactly, since the
   * graph runs the reference's own torch kernels.
   */
  @Test
  void devicePostprocessGraphKeepsWhatTheReferenceKeeps() {
    Model model = ModelCache.get().model(TorchScriptModels.spec(
        TinyModelFixtures.directory("segmenter"), SamAutomaticMaskGenerator.POSTPROCESS_COMPONENT, Device.cpu(), "auto",
        false));
    AmgPostProcessor post = new AmgPostProcessor(settings(), upscaler());
    float[] pred = g.tensor("pred_masks").floats();
    float[] iou = g.tensor("iou_scores").floats();
    float[] thresholds = DeviceAmgTranslator.thresholds(settings());
    int half = 2 * 3 * 32 * 32;
    try (NDManager m = model.getNDManager().newSubManager()) {
      for (int b = 0; b < 2; b++) {
        NDArray p = m.create(java.util.Arrays.copyOfRange(pred, b * half, (b + 1) * half), new Shape(1, 2, 3, 32, 32));
        NDArray s = m.create(java.util.Arrays.copyOfRange(iou, b * 6, (b + 1) * 6), new Shape(1, 2, 3));
        List<MaskCandidate> survivors = DeviceAmgTranslator.postprocess(m, model.getBlock(), p, s, upscaler(), thresholds);
        float[] expectedStability = java.util.Arrays.copyOfRange(g.tensor("stability_scores").floats(), b * 6, b * 6 + 6);
        for (MaskCandidate c : survivors) {
          assertThat(c.stability()).as("stability of batch %d candidate %d", b, c.candidateIndex())
              .isEqualTo(expectedStability[c.candidateIndex()]);
        }
        post.addSurvivors(survivors, 2);
      }
    }
    assertMatchesReference(post.finish());
  }

  private void assertMatchesReference(AmgPostProcessor.Result r) {
    JsonObject stages = meta.getAsJsonObject("stages");
    assertThat(r.afterFilters()).isEqualTo(ints(stages.getAsJsonArray("after_iou_and_stability")));
    assertThat(r.afterNms()).isEqualTo(ints(stages.getAsJsonArray("after_nms")));
    List<Integer> kept = r.kept().stream().map(MaskCandidate::candidateIndex).toList();
    assertThat(kept).isEqualTo(ints(stages.getAsJsonArray("after_min_area")));

    long[] idx = g.tensor("candidate_index").longs();
    long[] areas = g.tensor("areas").longs();
    float[] boxes = g.tensor("boxes").floats();
    float[] scores = g.tensor("scores").floats();
    long[] masks = g.tensor("masks").longs();
    int hw = 40 * 56;
    assertThat(r.kept()).hasSize(idx.length);
    for (int k = 0; k < idx.length; k++) {
      MaskCandidate m = r.kept().get(k);
      assertThat(m.candidateIndex()).isEqualTo((int) idx[k]);
      assertThat(m.area()).as("area %d", k).isEqualTo((int) areas[k]);
      assertThat(m.predictedIou()).isEqualTo(scores[k]);
      for (int j = 0; j < 4; j++) {
        assertThat((float) m.box()[j]).as("box %d[%d]", k, j).isEqualTo(boxes[4 * k + j]);
      }
      for (int i = 0; i < hw; i++) {
        assertThat(m.mask()[i]).as("mask %d pixel %d", k, i).isEqualTo(masks[k * hw + i] == 1);
      }
    }
  }
}
