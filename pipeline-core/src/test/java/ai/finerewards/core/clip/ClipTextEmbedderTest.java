package ai.finerewards.core.clip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** CLIP text tower parity (ids exact, embeddings within 1e-5), the reward and the prompt memo. */
class ClipTextEmbedderTest {

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  static ModelDirectory clip() {
    Path dir = GoldenImages.tinyModel("clip");
    return ModelDirectory.resolve(dir.toString(), "clip", ModelCacheConfig.defaults(), new Configuration());
  }

  @Test
  void idsAndEmbeddingsMatchTransformers() throws IOException {
    ModelDirectory dir = clip();
    Path golden = dir.localPath().resolve("golden");
    JsonObject meta = JsonParser.parseString(Files.readString(golden.resolve("text.json"))).getAsJsonObject();
    List<String> texts = new ArrayList<>();
    meta.getAsJsonArray("texts").forEach(t -> texts.add(t.getAsString()));
    Safetensors g = Safetensors.read(golden.resolve("text.safetensors"));
    HostTensor expectedIds = g.tensor("input_ids");
    HostTensor expected = g.tensor("text_embeds");

    try (ClipTextEmbedder e = ClipTextEmbedder.open(dir, Device.cpu(), "auto")) {
      assertThat(e.tokenizer().batchIds(texts)).containsExactly(expectedIds.longs());
      List<float[]> got = e.embed(texts);
      int d = (int) expected.shape()[1];
      double worst = 0;
      for (int i = 0; i < texts.size(); i++) {
        float[] want = new float[d];
        System.arraycopy(expected.floats(), i * d, want, 0, d);
        worst = Math.max(worst, GoldenImages.maxAbsDiff(got.get(i), want));
      }
      System.out.printf("CLIP text embeddings: max abs diff %.3g%n", worst);
      // Unit vectors (largest component 0.63, ulp 6e-8) from a 2-layer tower: a few ulps per layer
      // when kernels sum in another order; 1e-5 (168 ulps) is the ExportedModelsLoadTest budget for
      // one forward. Measured on an AVX-512 Xeon: 2.1e-7 pinned, 1.5e-7 unpinned.
      assertThat(worst).isLessThanOrEqualTo(1e-5);

      // The reward of the two golden texts is the dot product of their golden unit embeddings.
      double dot = 0;
      for (int k = 0; k < d; k++) {
        dot += (double) expected.floats()[k] * expected.floats()[d + k];
      }
      // cos(a + da, b + db) - a.b <= |da| + |db| to first order for unit a, b (the cosine
      // renormalises), and each |d| <= sqrt(16) * worst, from the measured worst above (2.1e-7 gives
      // 1.7e-6); plus 4 float32 ulps of 1 because the golden vectors are unit only to their float32
      // normalisation, so their plain dot product differs from their cosine by that much.
      double cosTol = 2 * Math.sqrt(d) * worst + 4 * Math.ulp(1.0f);
      double cos01 = CaptionReward.cosine(got.get(0), got.get(1));
      System.out.printf("CLIP text cosine: |diff| %.3g (bound %.3g)%n", Math.abs(cos01 - dot), cosTol);
      assertThat(cos01).isCloseTo(dot, within(cosTol));
      // In double, cos(a, a) = dot / sqrt(dot * dot): 1 to double rounding whatever a's float32 norm.
      assertThat(CaptionReward.cosine(got.get(0), got.get(0))).isCloseTo(1.0, within(1e-15));
    }
  }

  @Test
  void longTextsAreTruncatedTo77KeepingTheFinalEos() {
    ModelDirectory dir = clip();
    JsonObject text = dir.manifest().preprocessing().getAsJsonObject("text");
    long bos = text.get("bos_token_id").getAsLong();
    long eos = text.get("eos_token_id").getAsLong();
    try (ClipTextEmbedder e = ClipTextEmbedder.open(dir, Device.cpu(), "auto")) {
      long[] ids = e.tokenizer().ids("a cat ".repeat(100));
      assertThat(ids).hasSize(77);
      assertThat(ids[0]).isEqualTo(bos);
      assertThat(ids[76]).isEqualTo(eos);
      assertThat(ids[75]).isNotEqualTo(eos);
      long[] shortIds = e.tokenizer().ids("a cat");
      assertThat(shortIds[shortIds.length - 1]).as("right padding with the pad id").isEqualTo(
          text.get("pad_token_id").getAsLong());
    }
  }

  @Test
  void eachDistinctPromptIsEmbeddedOncePerJvm() {
    PromptEmbeddingMemo.clearAll();
    try (ClipTextEmbedder e = ClipTextEmbedder.open(clip(), Device.cpu(), "auto");
        ClipTextEmbedder other = ClipTextEmbedder.open(clip(), Device.cpu(), "auto")) {
      PromptEmbeddingMemo memo = new PromptEmbeddingMemo(e, "clip-a");
      List<float[]> first = memo.embeddings(List.of("a dog", "a cat", "a dog", "a dog"));
      List<float[]> second = memo.embeddings(List.of("a cat", "a bird"));
      assertThat(e.textsEmbedded()).isEqualTo(3);
      assertThat(memo.embedded()).isEqualTo(3);
      assertThat(memo.size()).isEqualTo(3);
      assertThat(first.get(0)).isSameAs(first.get(2));
      assertThat(second.get(0)).isSameAs(first.get(1));
      assertThat(CaptionReward.cosine(first.get(0), first.get(1))).isLessThan(1.0);

      // Another task thread's memo on the same model shares the table; another model does not.
      PromptEmbeddingMemo sameModel = new PromptEmbeddingMemo(other, "clip-a");
      assertThat(sameModel.embeddings(List.of("a bird", "a dog")).get(1)).isSameAs(first.get(0));
      assertThat(sameModel.embedded()).isZero();
      PromptEmbeddingMemo otherModel = new PromptEmbeddingMemo(other, "clip-b");
      otherModel.embeddings(List.of("a bird"));
      assertThat(otherModel.embedded()).isEqualTo(1);
      assertThat(other.textsEmbedded()).isEqualTo(1);
    } finally {
      PromptEmbeddingMemo.clearAll();
    }
  }

  @Test
  void cosineRejectsMismatchedOrZeroEmbeddings() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> CaptionReward.cosine(new float[2], new float[3])).hasMessageContaining("2 and 3");
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> CaptionReward.cosine(new float[2], new float[] {1, 0})).hasMessageContaining("zero");
    assertThat(CaptionReward.cosine(new float[] {1, 0}, new float[] {-2, 0})).isEqualTo(-1.0);
  }
}
