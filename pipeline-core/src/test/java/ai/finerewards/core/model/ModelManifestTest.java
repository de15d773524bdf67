package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelManifestTest {
  @TempDir Path tmp;

  @Test
  void readsAValidDirectory() throws IOException {
    Path dir = TestModels.write(tmp.resolve("clip"), TestModels.manifest("clip"));
    ModelManifest m = ModelManifest.read(dir, "clip");
    assertThat(m.family()).isEqualTo("clip");
    assertThat(m.dtype()).isEqualTo("float32");
    assertThat(m.components()).containsOnlyKeys("encoder");
    ModelManifest.Component c = m.component("encoder");
    assertThat(c.file()).isEqualTo("encoder.pt");
    assertThat(c.inputs()).containsExactly(
        new ModelManifest.TensorSpec("input_ids", java.util.List.of(-1L, 77L), "int64"));
    assertThat(m.tokenizer()).contains("tokenizer.json");
    assertThat(m.sha256()).hasSize(64);
  }

  @Test
  void missingManifestNamesTheDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> ModelManifest.read(dir, "clip"))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("manifest.json");
    assertThatThrownBy(() -> ModelManifest.read(tmp.resolve("absent"), "clip"))
        .hasMessageContaining(tmp.resolve("absent") + " does not exist");
  }

  @Test
  void missingComponentFileNamesPathAndField() throws IOException {
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.manifest("clip"));
    Files.delete(dir.resolve("encoder.pt"));
    assertThatThrownBy(() -> ModelManifest.read(dir, "clip"))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(dir.resolve("manifest.json").toString())
        .hasMessageContaining("'components.encoder.file'")
        .hasMessageContaining(dir.resolve("encoder.pt") + ", which does not exist");
  }

  @Test
  void missingTokenizerNamesIt() throws IOException {
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.manifest("llm"));
    Files.delete(dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> ModelManifest.read(dir, "llm"))
        .hasMessageContaining("'tokenizer'")
        .hasMessageContaining(dir.resolve("tokenizer.json").toString());
  }

  @Test
  void wrongFamilyNamesBoth() throws IOException {
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.manifest("segmenter"));
    assertThatThrownBy(() -> ModelManifest.read(dir, "clip"))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(dir.resolve("manifest.json").toString())
        .hasMessageContaining("'family' = \"segmenter\": expected \"clip\"");
  }

  @Test
  void badJsonNamesThePath() throws IOException {
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.manifest("clip"));
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": 1, \"family\": ");
    assertThatThrownBy(() -> ModelManifest.read(dir, "clip"))
        .isInstanceOf(ModelError.class)
        .hasMessageStartingWith(dir.resolve("manifest.json") + ": not valid JSON");
  }

  @Test
  void wrongFieldsNameTheField() {
    JsonObject m = TestModels.manifest("clip");
    m.addProperty("format", 2);
    assertThatThrownBy(() -> ModelManifest.parse(m.toString(), "x/manifest.json"))
        .hasMessageStartingWith("x/manifest.json: field 'format' = 2: expected manifest format 1");

    JsonObject noDtype = TestModels.manifest("clip");
    noDtype.remove("dtype");
    assertThatThrownBy(() -> ModelManifest.parse(noDtype.toString(), "x/manifest.json"))
        .hasMessage("x/manifest.json: field 'dtype' = (missing): expected a string");

    JsonObject bf16 = TestModels.manifest("clip");
    bf16.addProperty("dtype", "bfloat16");
    assertThatThrownBy(() -> ModelManifest.parse(bf16.toString(), "x/manifest.json"))
        .hasMessageContaining("field 'dtype' = \"bfloat16\"")
        .hasMessageContaining("no bfloat16");

    JsonObject badShape = TestModels.manifest("clip");
    badShape.getAsJsonObject("components").getAsJsonObject("encoder")
        .getAsJsonArray("inputs").get(0).getAsJsonObject().addProperty("shape", "77");
    assertThatThrownBy(() -> ModelManifest.parse(badShape.toString(), "x/manifest.json"))
        .hasMessageContaining("field 'components.encoder.inputs[0].shape' = \"77\"");

    JsonObject escaping = TestModels.manifest("clip");
    escaping.getAsJsonObject("components").getAsJsonObject("encoder")
        .addProperty("file", "../outside.pt");
    assertThatThrownBy(() -> ModelManifest.parse(escaping.toString(), "x/manifest.json"))
        .hasMessageContaining("'components.encoder.file'")
        .hasMessageContaining("relative to the model directory");
  }

  @Test
  void unknownComponentListsKnownOnes() throws IOException {
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.manifest("clip"));
    ModelManifest m = ModelManifest.read(dir, null);
    assertThatThrownBy(() -> m.component("unet"))
        .hasMessageContaining("no component 'unet'")
        .hasMessageContaining("[encoder]");
  }
}
