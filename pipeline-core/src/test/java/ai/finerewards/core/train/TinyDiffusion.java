package ai.finerewards.core.train;

import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.model.ModelDirectory;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;

/** The exporter's tiny diffusion model (models/tiny/diffusion) and its golden files. */
final class TinyDiffusion {
  private TinyDiffusion() {}

  static Path dir() {
    Path root = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
    Path dir = root.resolve("models/tiny/diffusion");
    Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("golden/lora_train.safetensors")),
        "tiny diffusion model with LoRA training golden not exported at " + dir);
    return dir;
  }

  static ModelDirectory model() {
    return ModelDirectory.resolve(dir().toString(), "diffusion", cacheConfig(), new Configuration());
  }

  private static ModelCacheConfig cacheConfig() {
    return ModelCacheConfig.from(ConfigFactory.defaultReference().getConfig("finerewards.model-cache"));
  }
}
