package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.config.ModelCacheConfig;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The other exported file kind: every tiny model's tokenizer.json loads in DJL's HuggingFace
 * tokenizer, and where the golden data records ids of raw text, DJL gives the same ids.
 */
class ExportedTokenizersLoadTest {
  private static Path tiny() {
    Path tiny = TestModels.repoRoot().resolve("models/tiny");
    Assumptions.assumeTrue(Files.isDirectory(tiny), "no tiny models under " + tiny);
    return tiny;
  }

  private static HuggingFaceTokenizer tokenizer(Path dir) throws IOException {
    ModelDirectory md = ModelDirectory.resolve(dir.toString(), dir.getFileName().toString(),
        ModelCacheConfig.defaults(), new Configuration());
    return HuggingFaceTokenizer.newInstance(md.tokenizerFile());
  }

  @Test
  void everyTokenizerLoadsAndEncodes() throws IOException {
    List<String> checked = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(tiny())) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        ModelManifest m = ModelManifest.read(dir, null);
        if (m.tokenizer().isEmpty()) {
          continue;
        }
        try (HuggingFaceTokenizer tok = tokenizer(dir)) {
          Encoding e = tok.encode("a cat sitting on a red chair");
          assertThat(e.getIds()).as("ids from %s", dir).isNotEmpty();
        }
        checked.add(m.family());
      }
    }
    assertThat(checked).isNotEmpty();
  }

  @Test
  void clipTokenizerGivesTheGoldenIds() throws IOException {
    Path clip = tiny().resolve("clip");
    Assumptions.assumeTrue(Files.isDirectory(clip));
    JsonObject golden = JsonParser.parseString(
        Files.readString(clip.resolve("golden/text.json"))).getAsJsonObject();
    JsonArray texts = golden.getAsJsonArray("texts");
    JsonArray tokens = golden.getAsJsonArray("tokens");
    JsonArray ids = golden.getAsJsonArray("input_ids");
    try (HuggingFaceTokenizer tok = tokenizer(clip)) {
      for (int i = 0; i < texts.size(); i++) {
        Encoding e = tok.encode(texts.get(i).getAsString());
        int n = tokens.get(i).getAsJsonArray().size(); // ids before the padding
        long[] expected = new long[n];
        for (int k = 0; k < n; k++) {
          expected[k] = ids.get(i).getAsJsonArray().get(k).getAsLong();
        }
        assertThat(e.getIds()).as("ids of %s", texts.get(i)).containsExactly(expected);
      }
    }
  }

  @Test
  void llmTokenizerGivesTheGoldenIdsOfTheChatText() throws IOException {
    Path llm = tiny().resolve("llm");
    Assumptions.assumeTrue(Files.isDirectory(llm));
    JsonObject golden = JsonParser.parseString(
        Files.readString(llm.resolve("golden/logits.json"))).getAsJsonObject();
    JsonArray texts = golden.getAsJsonArray("texts");
    JsonArray ids = golden.getAsJsonArray("ids");
    try (HuggingFaceTokenizer tok = tokenizer(llm)) {
      for (int i = 0; i < texts.size(); i++) {
        long[] got = tok.encode(texts.get(i).getAsString()).getIds();
        JsonArray row = ids.get(i).getAsJsonArray();
        // The golden row is the text's ids (with BOS) followed by the answer prefix ids.
        assertThat(got.length).isLessThanOrEqualTo(row.size());
        long[] prefix = new long[got.length];
        for (int k = 0; k < got.length; k++) {
          prefix[k] = row.get(k).getAsLong();
        }
        assertThat(got).as("ids of chat text %d", i).containsExactly(prefix);
        assertThat(got[0]).as("BOS first").isEqualTo(row.get(0).getAsLong());
      }
    }
  }
}
