package ai.finerewards.core.segment;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Automatic-mask-generation post-processing of one image (one crop: the whole image), fed batch by
 * batch and finished once: IoU filter, stability filter, binarise, box, greedy box NMS by
 * descending predicted IoU, minimum area. Python reference: exporter/finerewards_export/amg.py.
 * A batch comes either as raw decoder outputs ({@link #add}: every step on the CPU, for model
 * directories exported without {@code amg_postprocess}) or as the survivors of the filters that
 * graph computed on the model's device ({@link #addSurvivors}); NMS and the minimum area always run
 * here, over all batches, on boxes only. Candidates failing the IoU filter are not upscaled (the
 * reference upscales all; the kept ones are identical).
 */
public final class AmgPostProcessor {
  private final AmgSettings settings;
  private final MaskUpscaler upscaler;
  private final List<MaskCandidate> candidates = new ArrayList<>();
  private int nextIndex;

  /** The survivors of each stage, as candidate indices (for tests and diagnostics). */
  public record Result(List<Integer> afterFilters, List<Integer> afterNms, List<MaskCandidate> kept) {}

  public AmgPostProcessor(AmgSettings settings, MaskUpscaler upscaler) {
    this.settings = settings;
    this.upscaler = upscaler;
  }

  /**
   * Adds the decoder outputs of {@code points} prompts: {@code predMasks} [points, 3, lowH, lowW]
   * and {@code iouScores} [points, 3], row-major; candidate indices continue from the last batch.
   */
  public void add(float[] predMasks, float[] iouScores, int points, int lowH, int lowW) {
    int perMask = lowH * lowW;
    if (predMasks.length != points * 3 * perMask || iouScores.length != points * 3) {
      throw new IllegalArgumentException("decoder outputs do not match " + points + " points x 3 masks of "
          + lowH + "x" + lowW + ": got " + predMasks.length + " mask values and " + iouScores.length + " scores");
    }
    float iouThresh = (float) settings.predIouThresh();
    float stabThresh = (float) settings.stabilityScoreThresh();
    for (int c = 0; c < points * 3; c++) {
      int index = nextIndex++;
      if (!(iouScores[c] > iouThresh)) {
        continue;
      }
      float[] logits = upscaler.upscale(predMasks, c * perMask, lowH, lowW);
      float stability = stabilityScore(logits, settings.maskThreshold(), settings.stabilityScoreOffset());
      if (!(stability > stabThresh)) {
        continue;
      }
      candidates.add(binarise(index, iouScores[c], stability, logits));
    }
  }

  /**
   * Adds the candidates of {@code points} prompts that passed the IoU and stability filters on the
   * device ({@link DeviceAmgTranslator}), their indices counted within the batch; indices continue
   * from the last batch as in {@link #add}.
   */
  public void addSurvivors(List<MaskCandidate> survivors, int points) {
    int base = nextIndex;
    for (MaskCandidate c : survivors) {
      if (c.candidateIndex() < 0 || c.candidateIndex() >= points * 3) {
        throw new IllegalArgumentException("candidate index " + c.candidateIndex() + " outside a batch of "
            + points + " points x 3 masks");
      }
      candidates.add(new MaskCandidate(base + c.candidateIndex(), c.predictedIou(), c.stability(), c.mask(),
          c.box(), c.area()));
    }
    nextIndex += points * 3;
  }

  /**
   * #(logits > threshold + offset) / #(logits > threshold - offset), 0 when the union is empty;
   * thresholds compared in float32 as torch does with a Python scalar.
   */
  public static float stabilityScore(float[] logits, double maskThreshold, double offset) {
    float hi = (float) (maskThreshold + offset);
    float lo = (float) (maskThreshold - offset);
    long inter = 0;
    long union = 0;
    for (float v : logits) {
      if (v > hi) {
        inter++;
      }
      if (v > lo) {
        union++;
      }
    }
    return union > 0 ? (float) ((double) inter / union) : 0f;
  }

  private MaskCandidate binarise(int index, float iou, float stability, float[] logits) {
    int w = upscaler.originalW();
    float t = (float) settings.maskThreshold();
    boolean[] mask = new boolean[logits.length];
    int area = 0;
    int x0 = Integer.MAX_VALUE;
    int y0 = Integer.MAX_VALUE;
    int x1 = -1;
    int y1 = -1;
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] > t) {
        mask[i] = true;
        area++;
        int y = i / w;
        int x = i % w;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
    int[] box = area == 0 ? new int[4] : new int[] {x0, y0, x1, y1};
    return new MaskCandidate(index, iou, stability, mask, box, area);
  }

  /** Greedy NMS then the minimum area, over every candidate added. */
  public Result finish() {
    List<Integer> afterFilters = candidates.stream().map(MaskCandidate::candidateIndex).toList();
    // List.sort is stable: equal scores keep the lower candidate index first, as the reference.
    List<MaskCandidate> order = new ArrayList<>(candidates);
    order.sort(Comparator.comparingDouble((MaskCandidate m) -> m.predictedIou()).reversed());
    List<MaskCandidate> nms = new ArrayList<>();
    for (MaskCandidate m : order) {
      boolean keep = true;
      for (MaskCandidate k : nms) {
        if (boxIou(m.box(), k.box()) > settings.boxNmsThresh()) {
          keep = false;
          break;
        }
      }
      if (keep) {
        nms.add(m);
      }
    }
    List<MaskCandidate> kept = nms.stream().filter(m -> m.area() >= settings.minMaskArea()).toList();
    return new Result(afterFilters, nms.stream().map(MaskCandidate::candidateIndex).toList(), kept);
  }

  /** torchvision.ops.box_iou on the inclusive boxes, in float32 as the reference computes it. */
  static float boxIou(int[] a, int[] b) {
    float areaA = (float) (a[2] - a[0]) * (a[3] - a[1]);
    float areaB = (float) (b[2] - b[0]) * (b[3] - b[1]);
    float w = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
    float h = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
    float inter = w * h;
    float union = areaA + areaB - inter;
    return union > 0 ? inter / union : 0f;
  }
}
