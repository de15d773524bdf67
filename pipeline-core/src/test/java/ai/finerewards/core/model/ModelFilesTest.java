package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ModelCacheConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files against the manifest's files table, on the driver; and a model that still fails to
 * load inside a task reports one line, not the engine's C++ backtrace.
 */
class ModelFilesTest {
  @TempDir Path tmp;

  @AfterEach
  void closeModels() {
    ModelCache.get().closeAll();
  }

  private ModelDirectory copyOfTinyLlm() throws Exception {
    Path tiny = TestModels.repoRoot().resolve("models/tiny/llm");
    Assumptions.assumeTrue(Files.isRegularFile(tiny.resolve("lm.pt")), "tiny llm not exported");
    Path dir = Files.createDirectories(tmp.resolve("llm"));
    try (Stream<Path> files = Files.list(tiny)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, dir.resolve(f.getFileName().toString()));
      }
    }
    return ModelDirectory.resolve(dir.toString(), "llm",
        new ModelCacheConfig(tmp.resolve("cache").toString(), List.of("file")), new Configuration());
  }

  @Test
  void theCommittedTinyModelsMatchTheirManifests() {
    for (String family : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      Path dir = TestModels.repoRoot().resolve("models/tiny/" + family);
      Assumptions.assumeTrue(Files.isDirectory(dir));
      ModelDirectory md = ModelDirectory.resolve(dir.toString(), family,
          new ModelCacheConfig(tmp.resolve("cache").toString(), List.of("file")), new Configuration());
      ModelFiles.verify(md);
      assertThat(md.manifest().files()).containsKey(md.manifest().components().values().iterator().next().file());
      assertThat(ModelFiles.digest(md)).hasSize(64);
    }
  }

  @Test
  void aTruncatedFileFailsWithOneParagraphNamingTheFileTheHashesAndTheCommand() throws Exception {
    ModelDirectory md = copyOfTinyLlm();
    Path lm = md.localPath().resolve("lm.pt");
    long size = Files.size(lm);
    String expected = md.manifest().files().get("lm.pt").sha256();
    Files.write(lm, java.util.Arrays.copyOf(Files.readAllBytes(lm), (int) size - 100));
    assertThatThrownBy(() -> ModelFiles.verify(md)).isInstanceOf(ModelError.class)
        .hasMessageContaining("model file " + lm).hasMessageContaining(size + " bytes with SHA-256 " + expected)
        .hasMessageContaining("found " + (size - 100) + " bytes with SHA-256 " + ModelFiles.sha256(lm))
        .hasMessageContaining("python -m finerewards_export hash --dir " + md.localPath())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void aManifestWithoutFilesTableIsRefusedWithTheCommandThatWritesIt() throws Exception {
    ModelDirectory md = copyOfTinyLlm();
    Path manifest = md.localPath().resolve(ModelManifest.FILE);
    com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
    o.remove("files");
    Files.writeString(manifest, o.toString());
    ModelDirectory reread = ModelDirectory.resolve(md.localPath().toString(), "llm",
        new ModelCacheConfig(tmp.resolve("cache").toString(), List.of("file")), new Configuration());
    assertThatThrownBy(() -> ModelFiles.verify(reread)).hasMessageContaining("no 'files' table")
        .hasMessageContaining("finerewards_export hash --dir");
  }

  @Test
  void aLoadFailureInsideATaskIsOneLineWithoutTrace() throws Exception {
    ModelDirectory md = copyOfTinyLlm();
    Path lm = md.localPath().resolve("lm.pt");
    Files.write(lm, java.util.Arrays.copyOf(Files.readAllBytes(lm), 1000)); // after the driver's check
    ModelSpec spec = TorchScriptModels.spec(md, "lm", ai.djl.Device.cpu(), "auto", false);
    assertThatThrownBy(() -> ModelCache.get().model(spec)).isInstanceOf(ModelError.class)
        .satisfies(e -> {
          assertThat(e.getMessage()).startsWith("cannot load model").doesNotContain("\n");
          assertThat(e.getStackTrace()).isEmpty();
          assertThat(e.getCause()).isNull();
        });
  }
}
