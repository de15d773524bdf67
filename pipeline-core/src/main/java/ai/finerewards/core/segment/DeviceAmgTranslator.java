package ai.finerewards.core.segment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.TensorTranslator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One mask decoder pass followed, on the same device and without leaving it, by the exported
 * {@code amg_postprocess} graph (exporter/finerewards_export/amg.py, {@code Postprocess}): upscaling,
 * IoU and stability filters, binarisation, boxes and areas. Only the candidates that pass both
 * filters come back to Java, as {@link MaskCandidate}s whose index counts within this pass; the
 * low-resolution logits never leave the device, and the CPU does no per-pixel work but copying the
 * surviving masks. The post-processing graph is called as a block of the cached model (as a
 * predictor does), so it shares the decoder call's manager and is freed with it.
 */
public final class DeviceAmgTranslator implements NoBatchifyTranslator<DeviceAmgTranslator.Call, List<MaskCandidate>> {
  private final Block postprocess;
  private final DataType floatType;
  private final float[] thresholds;

  /**
   * One pass: the image embeddings [1, C, e, e], {@code pointsXY} (x, y) pairs in the resized frame,
   * one prompt each, with {@code labels}; {@code upscaler} gives the image's pad, resized and
   * original sizes.
   */
  public record Call(HostTensor embeddings, float[] pointsXY, long[] labels, MaskUpscaler upscaler) {}

  /**
   * @param postprocess the loaded {@code amg_postprocess} component's block (on the decoder's device)
   * @param floatType the decoder's float dtype (FLOAT32 or FLOAT16)
   */
  public DeviceAmgTranslator(Block postprocess, DataType floatType, AmgSettings settings) {
    this.postprocess = postprocess;
    this.floatType = floatType;
    this.thresholds = thresholds(settings);
  }

  /**
   * The graph's {@code thresholds} input. Each is rounded to float32 once, from the double sum, as
   * torch rounds a Python scalar compared with a float32 tensor and as {@link AmgPostProcessor}
   * compares on the CPU.
   */
  static float[] thresholds(AmgSettings s) {
    return new float[] {(float) s.predIouThresh(), (float) s.stabilityScoreThresh(),
        (float) (s.maskThreshold() + s.stabilityScoreOffset()), (float) (s.maskThreshold() - s.stabilityScoreOffset()),
        (float) s.maskThreshold()};
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Call call) {
    NDManager m = ctx.getNDManager();
    int p = call.labels().length;
    ctx.setAttachment("call", call);
    return new NDList(TensorTranslator.toNd(m, call.embeddings(), floatType),
        TensorTranslator.toNd(m, HostTensor.ofFloats(call.pointsXY(), 1, p, 1, 2), floatType),
        m.create(call.labels(), new ai.djl.ndarray.types.Shape(1, p, 1)));
  }

  @Override
  public List<MaskCandidate> processOutput(TranslatorContext ctx, NDList decoded) {
    Call call = (Call) ctx.getAttachment("call");
    int p = call.labels().length;
    if (decoded.size() < 2) {
      throw new ModelError("mask_decoder returned " + decoded.size() + " outputs; expected pred_masks and iou_scores");
    }
    long[] shape = decoded.get(0).getShape().getShape();
    if (shape.length != 5 || shape[1] != p || shape[2] != 3) {
      throw new ModelError("mask_decoder pred_masks has shape " + Arrays.toString(shape) + "; expected [1, "
          + p + ", 3, h, w]");
    }
    return postprocess(ctx.getNDManager(), postprocess, decoded.get(0), decoded.get(1), call.upscaler(), thresholds);
  }

  /**
   * Runs the {@code amg_postprocess} block on {@code predMasks} [1, P, 3, h, w] and {@code iouScores}
   * [1, P, 3] (arrays of {@code manager}'s device) and copies the survivors to Java.
   */
  static List<MaskCandidate> postprocess(NDManager m, Block postprocess, NDArray predMasks, NDArray iouScores,
      MaskUpscaler u, float[] thresholds) {
    NDArray sizes = m.create(new long[] {u.padH(), u.padW(), u.resizedH(), u.resizedW(), u.originalH(), u.originalW()});
    NDArray thr = m.create(thresholds);
    NDList out = postprocess.forward(new ParameterStore(m, false), new NDList(predMasks, iouScores, sizes, thr), false);
    if (out.size() != 6) {
      throw new ModelError("amg_postprocess returned " + out.size() + " outputs; expected candidate_index, scores, "
          + "stability, boxes, areas, masks");
    }
    long[] index = out.get(0).toLongArray();
    float[] scores = out.get(1).toFloatArray();
    float[] stability = out.get(2).toFloatArray();
    long[] boxes = out.get(3).toLongArray();
    long[] areas = out.get(4).toLongArray();
    boolean[] masks = out.get(5).toBooleanArray();
    int hw = u.originalH() * u.originalW();
    if (masks.length != index.length * hw) {
      throw new ModelError("amg_postprocess returned masks of shape " + out.get(5).getShape() + " for "
          + index.length + " candidates; expected [" + index.length + ", " + u.originalH() + ", " + u.originalW() + "]");
    }
    List<MaskCandidate> kept = new ArrayList<>(index.length);
    for (int k = 0; k < index.length; k++) {
      int[] box = {(int) boxes[4 * k], (int) boxes[4 * k + 1], (int) boxes[4 * k + 2], (int) boxes[4 * k + 3]};
      kept.add(new MaskCandidate((int) index[k], scores[k], stability[k],
          Arrays.copyOfRange(masks, k * hw, (k + 1) * hw), box, (int) areas[k]));
    }
    return kept;
  }
}
