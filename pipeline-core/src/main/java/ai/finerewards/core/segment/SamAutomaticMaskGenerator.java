package ai.finerewards.core.segment;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.TranslateException;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelManifest;
import ai.finerewards.core.model.ModelSpec;
import ai.finerewards.core.model.PredictorLease;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Segment Anything's automatic mask generation over the exported SAM (one crop, the whole image):
 * 1. preprocess and encode the image once;
 * 2. prompt the decoder with a points-per-side x points-per-side grid, one foreground point per
 *    prompt, points-per-batch prompts per forward pass, three masks per prompt;
 * 3. post-process every batch (upscale, IoU and stability filters, binarise, boxes) and finish with
 *    box NMS and the minimum area ({@link AmgPostProcessor}).
 * Step 3 runs on the model's device when the model directory has the {@code amg_postprocess}
 * component ({@link DeviceAmgTranslator}); directories exported before it run it in Java on the CPU
 * with the same results (docs/segment-score.md).
 * Not thread-safe: the predictor leases belong to one task thread.
 */
public final class SamAutomaticMaskGenerator {
  /** The model directory component that runs step 3 on the model's device. */
  public static final String POSTPROCESS_COMPONENT = "amg_postprocess";

  private final SamPreprocessor preprocessor;
  private final AmgSettings settings;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> encoder;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> decoder;
  private final PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> deviceDecoder;

  /** Decoder outputs for P prompts: low-res logits [P, 3, h, w] and predicted IoU [P, 3]. */
  public record Decoded(float[] predMasks, float[] iouScores, int points, int lowH, int lowW) {}

  /** Post-processing on the CPU in Java ({@link AmgPostProcessor#add}). */
  public SamAutomaticMaskGenerator(SamPreprocessor preprocessor, AmgSettings settings,
      PredictorLease<List<HostTensor>, List<HostTensor>> encoder,
      PredictorLease<List<HostTensor>, List<HostTensor>> decoder) {
    this(preprocessor, settings, encoder, decoder, null);
  }

  /**
   * Post-processing on the model's device through {@code deviceDecoder} (a mask decoder lease with a
   * {@link DeviceAmgTranslator}, see {@link #deviceDecoder}) when it is not null; {@code decoder}
   * then only serves {@link #decode} and may be null.
   */
  public SamAutomaticMaskGenerator(SamPreprocessor preprocessor, AmgSettings settings,
      PredictorLease<List<HostTensor>, List<HostTensor>> encoder,
      PredictorLease<List<HostTensor>, List<HostTensor>> decoder,
      PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> deviceDecoder) {
    if (decoder == null && deviceDecoder == null) {
      throw new IllegalArgumentException("a mask decoder lease is required");
    }
    this.preprocessor = preprocessor;
    this.settings = settings;
    this.encoder = encoder;
    this.decoder = decoder;
    this.deviceDecoder = deviceDecoder;
  }

  /** Whether the SAM model directory of {@code manifest} can post-process on the model's device. */
  public static boolean hasDevicePostprocess(ModelManifest manifest) {
    return manifest.components().containsKey(POSTPROCESS_COMPONENT);
  }

  /**
   * A lease on the mask decoder whose calls run {@code amg_postprocess} after it on the same device:
   * {@code decoderSpec} and {@code postprocessSpec} are the two components' cache specs (same
   * directory, device and dtype). The post-processing model is loaded once per JVM by the cache.
   */
  public static PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> deviceDecoder(
      ModelSpec decoderSpec, ModelSpec postprocessSpec, String dtype, AmgSettings settings) {
    if (!decoderSpec.key().device().equals(postprocessSpec.key().device())) {
      throw new IllegalArgumentException("mask_decoder on " + decoderSpec.key().device() + " but amg_postprocess on "
          + postprocessSpec.key().device());
    }
    Model post = ModelCache.get().model(postprocessSpec);
    DataType floatType = "float16".equals(dtype) ? DataType.FLOAT16 : DataType.FLOAT32;
    return ModelCache.get().predictor(decoderSpec, new DeviceAmgTranslator(post.getBlock(), floatType, settings));
  }

  /** Whether {@link #generate} post-processes on the model's device. */
  public boolean postprocessesOnDevice() {
    return deviceDecoder != null;
  }

  /** The parts of one image, in output order. */
  public List<SegmentedPart> generate(RgbImage image) throws TranslateException {
    SamPreprocessor.Prepared prepared = preprocessor.prepare(image);
    HostTensor embeddings = embed(prepared);
    float[] grid = pointGrid(settings.pointsPerSide(), prepared);
    int total = grid.length / 2;
    MaskUpscaler upscaler = upscaler(prepared);
    AmgPostProcessor post = new AmgPostProcessor(settings, upscaler);
    for (int start = 0; start < total; start += settings.pointsPerBatch()) {
      int end = Math.min(total, start + settings.pointsPerBatch());
      int[] labels = new int[end - start];
      Arrays.fill(labels, 1);
      float[] points = Arrays.copyOfRange(grid, 2 * start, 2 * end);
      if (deviceDecoder != null) {
        long[] lab = new long[end - start];
        Arrays.fill(lab, 1L);
        post.addSurvivors(deviceDecoder.predict(new DeviceAmgTranslator.Call(embeddings, points, lab, upscaler)),
            end - start);
      } else {
        Decoded d = decode(embeddings, points, labels);
        post.add(d.predMasks(), d.iouScores(), d.points(), d.lowH(), d.lowW());
      }
    }
    List<MaskCandidate> kept = post.finish().kept();
    List<SegmentedPart> parts = new ArrayList<>(kept.size());
    for (int i = 0; i < kept.size(); i++) {
      parts.add(SegmentedPart.of(i, kept.get(i), image.height(), image.width()));
    }
    return parts;
  }

  public SamPreprocessor preprocessor() {
    return preprocessor;
  }

  public MaskUpscaler upscaler(SamPreprocessor.Prepared p) {
    return new MaskUpscaler(preprocessor.padH(), preprocessor.padW(), p.resizedH(), p.resizedW(),
        p.originalH(), p.originalW());
  }

  /** The image encoder's output [1, C, h, w]. */
  public HostTensor embed(SamPreprocessor.Prepared p) throws TranslateException {
    HostTensor pixels = HostTensor.ofFloats(p.pixelValues(), 1, 3, preprocessor.padH(), preprocessor.padW());
    return encoder.predict(List.of(pixels)).get(0);
  }

  /**
   * One decoder pass: {@code pointsXY} = (x, y) pairs in the resized frame, one prompt each, with
   * {@code labels} (1 = foreground, 0 = background).
   */
  public Decoded decode(HostTensor embeddings, float[] pointsXY, int[] labels) throws TranslateException {
    if (decoder == null) {
      throw new IllegalStateException("this generator has no plain mask decoder lease");
    }
    int p = labels.length;
    long[] lab = new long[p];
    for (int i = 0; i < p; i++) {
      lab[i] = labels[i];
    }
    List<HostTensor> out = decoder.predict(List.of(embeddings,
        HostTensor.ofFloats(pointsXY, 1, p, 1, 2), HostTensor.ofLongs(lab, 1, p, 1)));
    if (out.size() < 2) {
      throw new ModelError("mask_decoder returned " + out.size() + " outputs; expected pred_masks and iou_scores");
    }
    long[] shape = out.get(0).shape();
    if (shape.length != 5 || shape[1] != p || shape[2] != 3) {
      throw new ModelError("mask_decoder pred_masks has shape " + Arrays.toString(shape) + "; expected [1, "
          + p + ", 3, h, w]");
    }
    return new Decoded(out.get(0).floats(), out.get(1).floats(), p, (int) shape[3], (int) shape[4]);
  }

  /**
   * segment-anything's build_point_grid scaled to the image, row-major over y then x, as (x, y)
   * pairs transformed to the resized frame.
   */
  static float[] pointGrid(int n, SamPreprocessor.Prepared p) {
    float[] xy = new float[2 * n * n];
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) {
        int k = j * n + i;
        xy[2 * k] = p.pointX((i + 0.5) / n * p.originalW());
        xy[2 * k + 1] = p.pointY((j + 0.5) / n * p.originalH());
      }
    }
    return xy;
  }
}
