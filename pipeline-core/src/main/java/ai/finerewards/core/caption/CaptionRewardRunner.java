package ai.finerewards.core.caption;

import ai.finerewards.core.clip.CaptionReward;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.clip.PromptEmbeddingMemo;
import ai.finerewards.core.image.ImageDecodeException;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.model.ModelIds;
import ai.finerewards.core.model.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The caption stage's work on one batch of samples, without Spark: decode the images, caption
 * the decodable ones in one captioner batch, embed the captions and (once per distinct prompt per
 * executor JVM, via the shared {@link PromptEmbeddingMemo}) the prompts with CLIP's text
 * tower, and score each caption by cosine similarity. An undecodable image gives an error result;
 * model failures are thrown. One runner per task thread (per partition); close it at the end.
 */
public final class CaptionRewardRunner implements AutoCloseable {
  private final CaptionConfig config;
  private final Blip2Captioner captioner;
  private final ClipTextEmbedder clip;
  private final PromptEmbeddingMemo prompts;
  private final String captionerModelId;
  private final String clipModelId;
  private long undecodable;

  public CaptionRewardRunner(CaptionConfig config, Blip2Captioner captioner, ClipTextEmbedder clip,
      String captionerModelId, String clipModelId) {
    this.config = config;
    this.captioner = captioner;
    this.clip = clip;
    // Keyed by the model id (checkpoint and weights hash): one table per CLIP model per JVM.
    this.prompts = new PromptEmbeddingMemo(clip, clipModelId);
    this.captionerModelId = captionerModelId;
    this.clipModelId = clipModelId;
  }

  /** Opens both models of the configured families on the task's device. */
  public static CaptionRewardRunner open(ModelRuntime runtime, List<String> gpuAddresses, CaptionConfig config) {
    Blip2Captioner captioner = Blip2Captioner.open(runtime, gpuAddresses);
    try {
      ClipTextEmbedder clip = ClipTextEmbedder.open(runtime, gpuAddresses);
      return new CaptionRewardRunner(config, captioner, clip,
          ModelIds.of(runtime.directory("captioner")), ModelIds.of(runtime.directory("clip")));
    } catch (RuntimeException e) {
      captioner.close();
      throw e;
    }
  }

  /**
   * A batch with its images decoded: {@code images} are those of the inputs at {@code ok}, and
   * {@code out} holds the error results of the undecodable ones (null elsewhere).
   */
  public record DecodedBatch(List<CaptionInput> inputs, List<Integer> ok, List<RgbImage> images, CaptionResult[] out) {}

  /** Decodes a batch's images; no model, so a caller may run it on another thread than {@link #run}. */
  public static DecodedBatch decode(List<CaptionInput> batch) {
    CaptionResult[] out = new CaptionResult[batch.size()];
    List<Integer> ok = new ArrayList<>();
    List<RgbImage> images = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      try {
        images.add(ImageDecoder.decode(batch.get(i).imageBytes()));
        ok.add(i);
      } catch (ImageDecodeException e) {
        out[i] = CaptionResult.failed("undecodable image: " + e.getMessage());
      }
    }
    return new DecodedBatch(batch, ok, images, out);
  }

  /** Results for {@code batch}, in order. Call with at most {@code batch-size} inputs. */
  public List<CaptionResult> run(List<CaptionInput> batch) {
    return run(decode(batch));
  }

  /** Results for a decoded batch, in input order: the model calls. */
  public List<CaptionResult> run(DecodedBatch decoded) {
    List<CaptionInput> batch = decoded.inputs();
    CaptionResult[] out = decoded.out().clone();
    List<Integer> ok = decoded.ok();
    List<RgbImage> images = decoded.images();
    undecodable += batch.size() - ok.size();
    if (!images.isEmpty()) {
      List<Caption> captions = captioner.caption(images, config.maxNewTokens());
      List<String> texts = captions.stream().map(Caption::text).toList();
      List<String> promptTexts = ok.stream().map(i -> batch.get(i).prompt()).toList();
      List<float[]> captionEmbeddings = clip.embed(texts);
      List<float[]> promptEmbeddings = prompts.embeddings(promptTexts);
      for (int k = 0; k < ok.size(); k++) {
        double reward = CaptionReward.cosine(promptEmbeddings.get(k), captionEmbeddings.get(k));
        out[ok.get(k)] = new CaptionResult(texts.get(k), reward, null);
      }
    }
    return Arrays.asList(out);
  }

  public String captionerModelId() {
    return captionerModelId;
  }

  public String clipModelId() {
    return clipModelId;
  }

  /** Prompts this runner ran through the text tower (misses of the JVM-wide prompt memo). */
  public long promptsEmbedded() {
    return prompts.embedded();
  }

  /** Undecodable images seen by this runner so far. */
  public long undecodable() {
    return undecodable;
  }

  @Override
  public void close() {
    try {
      clip.close();
    } finally {
      captioner.close();
    }
  }
}
