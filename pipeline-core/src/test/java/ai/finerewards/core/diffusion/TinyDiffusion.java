package ai.finerewards.core.diffusion;

import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;

/** The exporter's tiny diffusion model and its golden files, for tests. */
final class TinyDiffusion {
  private TinyDiffusion() {}

  static Path dir() {
    Path root = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
    Path dir = root.resolve("models/tiny/diffusion");
    Assumptions.assumeTrue(Files.isDirectory(dir), "no tiny diffusion model under " + dir);
    return dir;
  }

  static ModelDirectory directory() {
    return ModelDirectory.resolve(dir().toString(), "diffusion", ModelCacheConfig.defaults(), new Configuration());
  }

  static Safetensors golden(String file) {
    return Safetensors.read(dir().resolve("golden").resolve(file));
  }
}
