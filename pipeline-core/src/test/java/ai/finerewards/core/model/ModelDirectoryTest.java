package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ModelCacheConfig;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {
  @TempDir Path tmp;

  private static Configuration hadoop() {
    Configuration conf = new Configuration();
    conf.set("fs.localfs.impl", LocalAsRemoteFileSystem.class.getName());
    conf.setBoolean("fs.localfs.impl.disable.cache", true);
    return conf;
  }

  private ModelCacheConfig cacheConfig(List<String> localSchemes) {
    return new ModelCacheConfig(tmp.resolve("cache").toString(), localSchemes);
  }

  @Test
  void localPathAndFileUriAreUsedInPlace() throws IOException {
    Path dir = TestModels.write(tmp.resolve("remote/clip"), TestModels.manifest("clip"));
    for (String location : List.of(dir.toString(), dir.toUri().toString())) {
      ModelDirectory md =
          ModelDirectory.resolve(location, "clip", cacheConfig(List.of("file")), hadoop());
      assertThat(md.isCopy()).isFalse();
      assertThat(md.localPath()).isEqualTo(dir);
      assertThat(md.componentFile("encoder")).isEqualTo(dir.resolve("encoder.pt"));
    }
    assertThat(tmp.resolve("cache")).doesNotExist();
  }

  @Test
  void remoteDirectoryIsCopiedOnceAndMatchesTheOriginal() throws IOException {
    Path dir = TestModels.write(tmp.resolve("remote/clip"), TestModels.manifest("clip"));
    String uri = "localfs://" + dir;
    int before = ModelDirectory.copyCount();
    ModelDirectory first = ModelDirectory.resolve(uri, "clip", cacheConfig(List.of("file")), hadoop());
    ModelDirectory second = ModelDirectory.resolve(uri, "clip", cacheConfig(List.of("file")), hadoop());

    assertThat(ModelDirectory.copyCount() - before).isEqualTo(1);
    assertThat(first.isCopy()).isTrue();
    assertThat(first.localPath()).startsWith(tmp.resolve("cache")).isEqualTo(second.localPath());
    for (String f : List.of("manifest.json", "encoder.pt", "tokenizer.json", "golden/README.md")) {
      assertThat(Files.readAllBytes(first.localPath().resolve(f)))
          .as(f).isEqualTo(Files.readAllBytes(dir.resolve(f)));
    }
    assertThat(first.manifest().sha256()).isEqualTo(ModelManifest.read(dir, "clip").sha256());
    // No temporary directory is left beside the copy.
    try (var s = Files.list(tmp.resolve("cache"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactly(first.localPath().getFileName().toString());
    }
  }

  @Test
  void fileUriThroughHadoopLocalFileSystemWhenFileIsNotLocal() throws IOException {
    Path dir = TestModels.write(tmp.resolve("nfs/diffusion"), TestModels.manifest("diffusion"));
    ModelDirectory md = ModelDirectory.resolve(
        dir.toUri().toString(), "diffusion", cacheConfig(List.of()), new Configuration());
    assertThat(md.isCopy()).isTrue();
    assertThat(md.localPath()).startsWith(tmp.resolve("cache"));
    assertThat(md.localPath().resolve("encoder.pt")).hasSameBinaryContentAs(dir.resolve("encoder.pt"));
  }

  @Test
  void concurrentCallersShareOneCopy() throws Exception {
    Path dir = TestModels.write(tmp.resolve("remote/llm"), TestModels.manifest("llm"));
    // A larger file so the copy takes long enough for callers to overlap.
    Files.write(dir.resolve("encoder.pt"), new byte[8 << 20]);
    String uri = "localfs://" + dir;
    int before = ModelDirectory.copyCount();
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Path>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return ModelDirectory.resolve(uri, "llm", cacheConfig(List.of("file")), hadoop())
              .localPath();
        }));
      }
      start.countDown();
      Path first = results.get(0).get();
      for (Future<Path> f : results) {
        assertThat(f.get()).isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(ModelDirectory.copyCount() - before).isEqualTo(1);
  }

  @Test
  void changedRemoteModelIsFetchedAgain() throws IOException {
    Path dir = TestModels.write(tmp.resolve("remote/clip"), TestModels.manifest("clip"));
    String uri = "localfs://" + dir;
    ModelDirectory v1 = ModelDirectory.resolve(uri, "clip", cacheConfig(List.of("file")), hadoop());
    JsonObject changed = TestModels.manifest("clip");
    changed.addProperty("architecture", "TestArchitectureV2");
    TestModels.write(dir, changed);
    ModelDirectory v2 = ModelDirectory.resolve(uri, "clip", cacheConfig(List.of("file")), hadoop());
    assertThat(v2.localPath()).isNotEqualTo(v1.localPath());
    assertThat(v2.manifest().architecture()).isEqualTo("TestArchitectureV2");
    assertThat(v1.localPath().resolve("manifest.json")).exists(); // the old copy stays intact
  }

  @Test
  void remoteErrorsNameTheRemotePath() throws IOException {
    Path dir = TestModels.write(tmp.resolve("remote/clip"), TestModels.manifest("clip"));
    Files.delete(dir.resolve("encoder.pt"));
    String uri = "localfs://" + dir;
    assertThatThrownBy(() -> ModelDirectory.resolve(uri, "clip", cacheConfig(List.of("file")), hadoop()))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(uri + "/manifest.json")
        .hasMessageContaining("localfs:" + dir.resolve("encoder.pt"))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> ModelDirectory.resolve(uri, "segmenter", cacheConfig(List.of("file")), hadoop()))
        .hasMessageContaining("expected \"segmenter\"");
    String missing = "localfs://" + tmp.resolve("nowhere");
    assertThatThrownBy(() -> ModelDirectory.resolve(missing, "clip", cacheConfig(List.of("file")), hadoop()))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(missing);
    assertThat(tmp.resolve("cache")).doesNotExist();
  }
}
