package ai.finerewards.core.label;

import ai.djl.translate.TranslateException;
import ai.finerewards.core.clip.ClipImagePreprocessor;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.segment.SegmentedPart;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Zero-shot CLIP labels for an image's parts: each part's box crop with the background (pixels
 * outside its mask) replaced by a fixed colour, through the CLIP image tower, softmax of
 * {@code logit_scale * image . text} over the vocabulary; the best label is kept when its
 * probability reaches the threshold. Not thread-safe (one image-tower lease per task thread).
 */
public final class PartLabeller {
  private final ClipImagePreprocessor preprocessor;
  private final VocabularyEmbeddings vocabulary;
  private final float logitScale;
  private final double threshold;
  private final int[] background;
  private final int batchSize;
  private final PredictorLease<List<HostTensor>, List<HostTensor>> imageEncoder;

  /** A part's label, or label == null (and prob == null) when the best one is under the threshold. */
  public record PartLabel(String label, Double prob, String bestLabel, double bestProb) {}

  public PartLabeller(ClipImagePreprocessor preprocessor, VocabularyEmbeddings vocabulary, float logitScale,
      double threshold, int[] background, int batchSize,
      PredictorLease<List<HostTensor>, List<HostTensor>> imageEncoder) {
    this.preprocessor = preprocessor;
    this.vocabulary = vocabulary;
    this.logitScale = logitScale;
    this.threshold = threshold;
    this.background = background.clone();
    this.batchSize = batchSize;
    this.imageEncoder = imageEncoder;
  }

  /** One label per part, in part order. */
  public List<PartLabel> label(RgbImage image, List<SegmentedPart> parts) throws TranslateException {
    List<PartLabel> out = new ArrayList<>(parts.size());
    for (int start = 0; start < parts.size(); start += batchSize) {
      List<SegmentedPart> batch = parts.subList(start, Math.min(parts.size(), start + batchSize));
      List<RgbImage> crops = new ArrayList<>(batch.size());
      for (SegmentedPart p : batch) {
        crops.add(maskedCrop(image, p, background));
      }
      HostTensor emb = imageEncoder.predict(List.of(preprocessor.pixelValues(crops))).get(0);
      for (int i = 0; i < batch.size(); i++) {
        out.add(choose(emb.floats(), i * vocabulary.dim()));
      }
    }
    return out;
  }

  /** The part's bounding box crop with pixels outside its mask set to {@code background}. */
  public static RgbImage maskedCrop(RgbImage image, SegmentedPart part, int[] background) {
    RgbImage crop = image.crop(part.x0(), part.y0(), part.x1() - part.x0(), part.y1() - part.y0());
    byte[] px = crop.pixels().clone();
    boolean[] mask = part.mask();
    for (int y = 0; y < crop.height(); y++) {
      for (int x = 0; x < crop.width(); x++) {
        if (!mask[(part.y0() + y) * image.width() + part.x0() + x]) {
          int i = (y * crop.width() + x) * 3;
          px[i] = (byte) background[0];
          px[i + 1] = (byte) background[1];
          px[i + 2] = (byte) background[2];
        }
      }
    }
    return new RgbImage(crop.width(), crop.height(), px);
  }

  /** Softmax over the vocabulary of one image embedding; ties go to the earlier label. */
  PartLabel choose(float[] imageEmbeds, int offset) {
    float[] text = vocabulary.matrix();
    int d = vocabulary.dim();
    int v = vocabulary.labels().size();
    double[] logits = new double[v];
    double max = Double.NEGATIVE_INFINITY;
    int best = 0;
    for (int k = 0; k < v; k++) {
      float dot = 0f;
      for (int j = 0; j < d; j++) {
        dot += imageEmbeds[offset + j] * text[k * d + j];
      }
      logits[k] = logitScale * dot;
      if (logits[k] > max) {
        max = logits[k];
        best = k;
      }
    }
    double sum = 0;
    for (int k = 0; k < v; k++) {
      sum += Math.exp(logits[k] - max);
    }
    double p = 1.0 / sum;
    String label = vocabulary.labels().get(best);
    return p >= threshold ? new PartLabel(label, p, label, p) : new PartLabel(null, null, label, p);
  }

  /** The distinct labels of an image's parts in first-appearance order (unlabelled parts skipped). */
  public static List<String> distinctLabels(List<PartLabel> labels) {
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    for (PartLabel l : labels) {
      if (l.label() != null) {
        seen.add(l.label());
      }
    }
    return List.copyOf(seen);
  }
}
