package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.clip.CaptionReward;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelIds;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The stage's per-batch work on the tiny models: captions, rewards, an undecodable image, the prompt memo. */
class CaptionRewardRunnerTest {

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  static ModelDirectory dir(String family) {
    return ModelDirectory.resolve(GoldenImages.tinyModel(family).toString(), family,
        ModelCacheConfig.defaults(), new Configuration());
  }

  static byte[] png(int w, int h, int seed) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    java.util.Random rnd = new java.util.Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void captionsScoresAndReportsUndecodableImages() throws Exception {
    ModelDirectory cap = dir("captioner");
    ModelDirectory clipDir = dir("clip");
    byte[] a = png(40, 30, 1);
    byte[] b = png(20, 50, 2);
    List<CaptionInput> batch = List.of(
        new CaptionInput("a dog on a sofa", a),
        new CaptionInput("a dog on a sofa", b),
        new CaptionInput("a red bus", new byte[] {1, 2, 3}),
        new CaptionInput("a red bus", a));
    CaptionConfig config = new CaptionConfig(8, 4, 0.5);
    ai.finerewards.core.clip.PromptEmbeddingMemo.clearAll();
    try (Blip2Captioner captioner = Blip2Captioner.open(cap, Device.cpu(), "auto");
        ClipTextEmbedder clip = ClipTextEmbedder.open(clipDir, Device.cpu(), "auto");
        CaptionRewardRunner runner = new CaptionRewardRunner(config,
            Blip2Captioner.open(cap, Device.cpu(), "auto"), ClipTextEmbedder.open(clipDir, Device.cpu(), "auto"),
            ModelIds.of(cap), ModelIds.of(clipDir))) {
      List<CaptionResult> got = runner.run(batch);

      assertThat(got).hasSize(4);
      assertThat(got.get(2).error()).startsWith("undecodable image: not an image in a known format");
      assertThat(got.get(2).caption()).isNull();
      assertThat(got.get(2).reward()).isNull();
      assertThat(runner.undecodable()).isEqualTo(1);
      assertThat(runner.promptsEmbedded()).as("distinct prompts of decodable images").isEqualTo(2);

      // Expected values computed directly with the captioner and CLIP, one image at a time.
      String capA = captioner.caption(List.of(ImageDecoder.decode(a)), 8).get(0).text();
      String capB = captioner.caption(List.of(ImageDecoder.decode(b)), 8).get(0).text();
      assertThat(got.get(0).caption()).isEqualTo(capA);
      assertThat(got.get(1).caption()).isEqualTo(capB);
      assertThat(got.get(3).caption()).isEqualTo(capA);
      List<float[]> e = clip.embed(List.of("a dog on a sofa", capA, "a red bus"));
      // Embeddings are computed one text at a time, so the runner's rewards are these bits exactly.
      assertThat(got.get(0).reward()).isEqualTo(CaptionReward.cosine(e.get(0), e.get(1)));
      assertThat(got.get(3).reward()).isEqualTo(CaptionReward.cosine(e.get(2), e.get(1)));
      assertThat(got.get(0).reward()).isNotEqualTo(got.get(3).reward());
      assertThat(runner.captionerModelId()).isEqualTo("tiny-captioner@174c68dbdadf");
    }
    // Other test classes in this JVM may hold models of their own: count only this test's directories.
    List<String> ours = List.of(cap.localPath().toString(), clipDir.localPath().toString());
    assertThat(ModelCache.get().loadedKeys().stream().filter(k -> ours.contains(k.directory())))
        .as("each component loaded once").hasSize(4);
  }
}
