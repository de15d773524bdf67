package ai.finerewards.core;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** The exporter's tiny models and golden data under models/tiny/, for parity tests. */
public final class TinyModelFixtures {
  private TinyModelFixtures() {}

  public static Path repoRoot() {
    return Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
  }

  public static Path dir(String family) {
    return repoRoot().resolve("models/tiny").resolve(family);
  }

  public static ModelDirectory directory(String family) {
    return ModelDirectory.resolve(dir(family).toString(), family, ModelCacheConfig.defaults(), new Configuration());
  }

  /** A CPU predictor on one component, through the JVM-wide cache. */
  public static PredictorLease<List<HostTensor>, List<HostTensor>> lease(String family, String component) {
    return ModelCache.get().predictor(
        TorchScriptModels.spec(directory(family), component, Device.cpu(), "auto", false), new TensorTranslator());
  }

  public static Safetensors golden(String family, String name) {
    return Safetensors.read(dir(family).resolve("golden").resolve(name + ".safetensors"));
  }

  public static JsonObject goldenJson(String family, String name) {
    try {
      return JsonParser.parseString(Files.readString(dir(family).resolve("golden").resolve(name + ".json")))
          .getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
