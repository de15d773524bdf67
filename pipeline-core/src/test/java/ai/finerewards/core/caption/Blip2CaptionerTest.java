package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.image.RgbImage;
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

/**
 * Greedy captioning parity on the tiny BLIP-2: the token ids must equal transformers'
 * {@code generate} exactly (golden {@code generate}, and {@code generate_early_eos} where one row
 * stops early and is padded), and the text must equal the golden decode.
 */
class Blip2CaptionerTest {

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  static ModelDirectory captioner() {
    Path dir = GoldenImages.tinyModel("captioner");
    return ModelDirectory.resolve(dir.toString(), "captioner", ModelCacheConfig.defaults(), new Configuration());
  }

  static JsonObject json(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  static long[][] ids(HostTensor t) {
    long[] s = t.shape();
    long[][] out = new long[(int) s[0]][(int) s[1]];
    for (int r = 0; r < s[0]; r++) {
      System.arraycopy(t.longs(), (int) (r * s[1]), out[r], 0, (int) s[1]);
    }
    return out;
  }

  @Test
  void greedyIdsAndCaptionsEqualTransformersGenerate() throws IOException {
    ModelDirectory dir = captioner();
    Path golden = dir.localPath().resolve("golden");
    JsonObject meta = json(golden.resolve("generate.json"));
    int maxNew = meta.get("max_new_tokens").getAsInt();
    Safetensors pre = Safetensors.read(golden.resolve("preprocess.safetensors"));
    long[][] expected = ids(Safetensors.read(golden.resolve("generate.safetensors")).tensor("output_ids"));

    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      List<Caption> got = c.caption(List.of(
          GoldenImages.fromHwc(pre.tensor("image0_uint8")), GoldenImages.fromHwc(pre.tensor("image1_uint8"))), maxNew);

      JsonArray captions = meta.getAsJsonArray("captions");
      for (int r = 0; r < expected.length; r++) {
        assertThat(got.get(r).tokenIds()).as("ids of image %d", r).containsExactly(expected[r]);
        assertThat(got.get(r).text()).as("caption of image %d", r).isEqualTo(captions.get(r).getAsString());
      }
    }
  }

  @Test
  void aRowThatStopsEarlyIsPaddedAndTheOtherRunsToTheLimit() throws IOException {
    ModelDirectory dir = captioner();
    Path golden = dir.localPath().resolve("golden");
    JsonObject meta = json(golden.resolve("generate_early_eos.json"));
    HostTensor pixels = Safetensors.read(golden.resolve("generate.safetensors")).tensor("pixel_values");
    long[][] expected = ids(Safetensors.read(golden.resolve("generate_early_eos.safetensors")).tensor("output_ids"));

    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      GenerationSettings gen = c.generation().withEosTokenIds(meta.get("eos_token_id").getAsLong());
      long[][] got = c.generate(pixels, 8, gen);
      assertThat(got).isDeepEqualTo(expected);
      assertThat(got[0][got[0].length - 1]).as("padded after eos").isEqualTo(gen.padTokenId());
    }
  }

  @Test
  void allRowsFinishingStopsBeforeTheLimit() {
    ModelDirectory dir = captioner();
    HostTensor pixels = Safetensors.read(dir.localPath().resolve("golden/generate.safetensors")).tensor("pixel_values");
    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      long[][] free = c.generate(pixels, 8, c.generation());
      // Token 2 of every row (the first generated one) as eos: both rows end at once.
      long first = free[0][1];
      assertThat(free[1][1]).isEqualTo(first);
      long[][] stopped = c.generate(pixels, 8, c.generation().withEosTokenIds(first));
      assertThat(stopped).isDeepEqualTo(new long[][] {{free[0][0], first}, {free[1][0], first}});
    }
  }

  @Test
  void batchingDoesNotChangeAnImagesCaption() {
    ModelDirectory dir = captioner();
    Safetensors pre = Safetensors.read(dir.localPath().resolve("golden/preprocess.safetensors"));
    RgbImage a = GoldenImages.fromHwc(pre.tensor("image0_uint8"));
    RgbImage b = GoldenImages.fromHwc(pre.tensor("image1_uint8"));
    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      List<String> alone = new ArrayList<>();
      for (RgbImage img : List.of(b, a)) {
        alone.add(c.caption(List.of(img), 8).get(0).text());
      }
      List<String> together = c.caption(List.of(b, a, b), 8).stream().map(Caption::text).toList();
      assertThat(together).containsExactly(alone.get(0), alone.get(1), alone.get(0));
    }
  }

  @Test
  void tooManyNewTokensForTheLmsPositionsIsAClearError() {
    ModelDirectory dir = captioner();
    HostTensor pixels = Safetensors.read(dir.localPath().resolve("golden/generate.safetensors")).tensor("pixel_values");
    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      // Tiny OPT: 64 positions, Q = 4: at most 60 new tokens.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.generate(pixels, 61, c.generation()))
          .hasMessageContaining("max-new-tokens = 61 needs 65 LM positions")
          .hasMessageContaining("max_position_embeddings = 64").hasMessageContaining("<= 60");
      assertThat(c.generate(pixels, 60, c.generation())[0]).hasSize(61);
    }
  }

  @Test
  void theKvCacheGivesTheSameIdsAsTheUncachedLm() {
    ModelDirectory dir = captioner();
    HostTensor pixels = Safetensors.read(dir.localPath().resolve("golden/generate.safetensors")).tensor("pixel_values");
    try (Blip2Captioner cached = Blip2Captioner.open(dir, Device.cpu(), "auto");
        Blip2Captioner plain = Blip2Captioner.open(dir, Device.cpu(), "auto", false)) {
      assertThat(cached.usesKvCache()).isTrue();
      assertThat(plain.usesKvCache()).isFalse();
      // Up to the LM's last position (60 new tokens), and with every row stopping at once.
      for (int maxNew : new int[] {1, 8, 60}) {
        assertThat(cached.generate(pixels, maxNew, cached.generation()))
            .as("%d new tokens", maxNew).isDeepEqualTo(plain.generate(pixels, maxNew, plain.generation()));
      }
      long first = plain.generate(pixels, 1, plain.generation())[0][1];
      GenerationSettings stop = plain.generation().withEosTokenIds(first);
      assertThat(cached.generate(pixels, 8, stop)).isDeepEqualTo(plain.generate(pixels, 8, stop));
    }
  }

  @Test
  void aDirectoryExportedBeforeTheKvCacheDecodesWithLmPt(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    Path src = captioner().localPath();
    Path old = tmp.resolve("captioner");
    Files.createDirectories(old.resolve("golden"));
    for (String f : List.of("vision_prefix.pt", "embed_tokens.pt", "lm.pt", "tokenizer.json", "golden/generate.json",
        "golden/generate.safetensors", "golden/preprocess.safetensors")) {
      Files.copy(src.resolve(f), old.resolve(f));
    }
    JsonObject m = json(src.resolve("manifest.json"));
    m.getAsJsonObject("components").remove("lm_cached");
    m.getAsJsonObject("extra").getAsJsonObject("generation").remove("kv_cache");
    m.getAsJsonObject("files").remove("lm_cached.pt");
    Files.writeString(old.resolve("manifest.json"), m.toString());
    ModelDirectory dir = ModelDirectory.resolve(old.toString(), "captioner", ModelCacheConfig.defaults(),
        new Configuration());
    long[][] expected = ids(Safetensors.read(old.resolve("golden/generate.safetensors")).tensor("output_ids"));
    HostTensor pixels = Safetensors.read(old.resolve("golden/generate.safetensors")).tensor("pixel_values");
    try (Blip2Captioner c = Blip2Captioner.open(dir, Device.cpu(), "auto")) {
      assertThat(c.usesKvCache()).isFalse();
      assertThat(c.generate(pixels, expected[0].length - 1, c.generation())).isDeepEqualTo(expected);
    }
  }

  @Test
  void aKvCacheEntryThatDoesNotFitItsComponentIsAClearError(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    JsonObject m = json(captioner().localPath().resolve("manifest.json"));
    m.getAsJsonObject("extra").getAsJsonObject("generation").getAsJsonObject("kv_cache").addProperty("layers", 3);
    ai.finerewards.core.model.ModelManifest manifest =
        ai.finerewards.core.model.ModelManifest.parse(m.toString(), "x/manifest.json");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ai.finerewards.core.model.KvCacheShape.fromManifest(manifest, "generation", "kv_cache"))
        .hasMessageContaining("x/manifest.json").hasMessageContaining("'lm_cached' has 5 inputs and 5 outputs")
        .hasMessageContaining("layers = 3 needs 7");
  }

  @Test
  void pythonStripRemovesNoBreakSpacesToo() {
    assertThat(PythonStrings.strip("\u00a0 a cat\n\u2007")).isEqualTo("a cat");
    assertThat(PythonStrings.strip("\t\u3000x y\u0085")).isEqualTo("x y");
  }
}
