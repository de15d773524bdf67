package ai.finerewards.core.segment;

import ai.djl.translate.TranslateException;
import ai.finerewards.core.clip.ClipImagePreprocessor;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.image.ImageDecodeException;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.label.LabelVocabulary;
import ai.finerewards.core.label.PartLabeller;
import ai.finerewards.core.label.VocabularyEmbeddings;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task thread's segment-and-label runner: SAM automatic masks, then a CLIP label for each part.
 * Models come from the per-executor {@link ModelCache}; the vocabulary's text embeddings are
 * computed once per JVM. Close it when the partition ends (the models stay cached).
 */
public final class ImageSegmenter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageSegmenter.class);
  private static final Map<String, LabelVocabulary> VOCABULARIES = new ConcurrentHashMap<>();
  private static final java.util.Set<String> CPU_POSTPROCESS_WARNED = ConcurrentHashMap.newKeySet();

  private final List<AutoCloseable> leases;
  private final SamAutomaticMaskGenerator generator;
  private final PartLabeller labeller;
  private final String segmenterModelId;
  private final String clipModelId;
  private final String vocabularyId;

  /** A labelled part; label and labelProb are null when CLIP's best label is under the threshold. */
  public record LabelledPart(SegmentedPart part, String label, Double labelProb) {}

  /** The parts of one image, or the error that stopped it (parts null). */
  public record Result(List<LabelledPart> parts, String error) {}

  private ImageSegmenter(List<AutoCloseable> leases, SamAutomaticMaskGenerator generator, PartLabeller labeller,
      String segmenterModelId, String clipModelId, String vocabularyId) {
    this.leases = leases;
    this.generator = generator;
    this.labeller = labeller;
    this.segmenterModelId = segmenterModelId;
    this.clipModelId = clipModelId;
    this.vocabularyId = vocabularyId;
  }

  /** Opens the models of the {@code segmenter} and {@code clip} families on the task's device. */
  public static ImageSegmenter open(ModelRuntime runtime, SegmentConfig config, List<String> gpuAddresses) {
    List<AutoCloseable> leases = new ArrayList<>();
    try {
      ModelDirectory sam = runtime.directory("segmenter");
      sam.manifest().checkFamily("segmenter");
      ModelDirectory clip = runtime.directory("clip");
      clip.manifest().checkFamily("clip");
      PredictorLease<List<HostTensor>, List<HostTensor>> encoder = lease(runtime, "segmenter", "image_encoder", gpuAddresses, sam);
      leases.add(encoder);
      PredictorLease<List<HostTensor>, List<HostTensor>> decoder = null;
      PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> deviceDecoder = null;
      if (SamAutomaticMaskGenerator.hasDevicePostprocess(sam.manifest())) {
        deviceDecoder = SamAutomaticMaskGenerator.deviceDecoder(
            runtime.torchScript("segmenter", "mask_decoder", gpuAddresses, false),
            runtime.torchScript("segmenter", SamAutomaticMaskGenerator.POSTPROCESS_COMPONENT, gpuAddresses, false),
            sam.manifest().dtype(), config.amg());
        leases.add(deviceDecoder);
      } else {
        warnCpuPostprocessOnce(sam);
        decoder = lease(runtime, "segmenter", "mask_decoder", gpuAddresses, sam);
        leases.add(decoder);
      }
      PredictorLease<List<HostTensor>, List<HostTensor>> clipImage = lease(runtime, "clip", "image_encoder", gpuAddresses, clip);
      leases.add(clipImage);

      LabelVocabulary vocab = VOCABULARIES.computeIfAbsent(config.labelVocabulary(), LabelVocabulary::load);
      String key = clip.localPath() + "|" + runtime.device(gpuAddresses) + "|" + vocab.id() + "|" + config.labelTemplate();
      VocabularyEmbeddings embeddings = VocabularyEmbeddings.cached(key, () -> {
        try (ClipTextEmbedder text = ClipTextEmbedder.open(runtime, gpuAddresses)) {
          return VocabularyEmbeddings.compute(vocab, config.labelTemplate(), text, config.clipBatchSize());
        }
      });
      float logitScale = logitScale(clip);
      SamAutomaticMaskGenerator generator = new SamAutomaticMaskGenerator(
          SamPreprocessor.from(sam.manifest()), config.amg(), encoder, decoder, deviceDecoder);
      PartLabeller labeller = new PartLabeller(ClipImagePreprocessor.fromManifest(clip.manifest()), embeddings,
          logitScale, config.labelThreshold(), config.cropBackground(), config.clipBatchSize(), clipImage);
      return new ImageSegmenter(leases, generator, labeller, ModelIds.of(sam), ModelIds.of(clip), vocab.id());
    } catch (RuntimeException e) {
      closeAll(leases);
      throw e;
    }
  }

  private static PredictorLease<List<HostTensor>, List<HostTensor>> lease(ModelRuntime runtime, String family,
      String component, List<String> gpus, ModelDirectory dir) {
    return ModelCache.get().predictor(runtime.torchScript(family, component, gpus, false),
        TensorTranslator.forDtype(dir.manifest().dtype()));
  }

  /**
   * A SAM directory exported before amg_postprocess existed still works, post-processing in Java on
   * the CPU (same masks): said once per directory and JVM, since it costs CPU time per pixel.
   */
  private static void warnCpuPostprocessOnce(ModelDirectory sam) {
    if (CPU_POSTPROCESS_WARNED.add(sam.localPath().toString())) {
      LOG.warn("{} has no {} component (exported before it existed): automatic-mask post-processing runs in Java on"
          + " the executor's CPU; re-export the segmenter to run it on the model's device", sam.manifest().origin(),
          SamAutomaticMaskGenerator.POSTPROCESS_COMPONENT);
    }
  }

  private static float logitScale(ModelDirectory clip) {
    var e = clip.manifest().extra().get("logit_scale");
    if (e == null || !e.isJsonPrimitive()) {
      throw new ModelError(clip.manifest().origin() + ": extra.logit_scale is missing; expected exp(learned logit scale)");
    }
    return e.getAsFloat();
  }

  /** One encoded image decoded: the image, or the row's error (undecodable) with a null image. */
  public record Decoded(RgbImage image, String error) {}

  /** Decodes one encoded image; no model, so a caller may run it on another thread than {@link #segment(Decoded)}. */
  public static Decoded decode(byte[] encodedImage) {
    try {
      return new Decoded(ImageDecoder.decode(encodedImage), null);
    } catch (ImageDecodeException e) {
      return new Decoded(null, "undecodable image: " + e.getMessage());
    }
  }

  /**
   * Segments and labels one encoded image. An undecodable image is the row's error; a model failure
   * is thrown, so the task fails and Spark retries it instead of writing a row of errors.
   */
  public Result segment(byte[] encodedImage) {
    return segment(decode(encodedImage));
  }

  /** Segments and labels one decoded image (the model calls and SAM's post-processing). */
  public Result segment(Decoded decoded) {
    if (decoded.image() == null) {
      return new Result(null, decoded.error());
    }
    RgbImage image = decoded.image();
    try {
      List<SegmentedPart> parts = generator.generate(image);
      List<PartLabeller.PartLabel> labels = labeller.label(image, parts);
      List<LabelledPart> out = new ArrayList<>(parts.size());
      for (int i = 0; i < parts.size(); i++) {
        out.add(new LabelledPart(parts.get(i), labels.get(i).label(), labels.get(i).prob()));
      }
      return new Result(out, null);
    } catch (TranslateException e) {
      throw new ModelError("segmenter or CLIP forward failed on a " + image.width() + "x" + image.height()
          + " image: " + e.getMessage(), e);
    }
  }

  public String segmenterModelId() {
    return segmenterModelId;
  }

  public String clipModelId() {
    return clipModelId;
  }

  public String vocabularyId() {
    return vocabularyId;
  }

  @Override
  public void close() {
    closeAll(leases);
  }

  private static void closeAll(List<AutoCloseable> leases) {
    for (AutoCloseable c : leases) {
      try {
        c.close();
      } catch (Exception ignored) {
        // Closing a lease only returns it to the cache; nothing to recover.
      }
    }
  }
}
