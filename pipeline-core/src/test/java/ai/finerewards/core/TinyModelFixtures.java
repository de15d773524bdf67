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

  /**
   * reference.conf with every model family pointing at models/tiny/ and {@code overrides} (HOCON)
   * on top, resolved: what a stage sees.
   */
  public static com.typesafe.config.Config config(String overrides) {
    StringBuilder models = new StringBuilder();
    for (String f : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      models.append("finerewards.models.").append(f).append(" = \"").append(dir(f)).append("\"\n");
    }
    return com.typesafe.config.ConfigFactory.parseString(overrides)
        .withFallback(com.typesafe.config.ConfigFactory.parseString(models.toString()))
        .withFallback(com.typesafe.config.ConfigFactory.defaultReference()).resolve();
  }

  /** A PNG of {@code w x h} with a few flat shapes on a gradient, deterministic in {@code seed}. */
  public static byte[] shapesPng(int w, int h, int seed) {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.util.Random rnd = new java.util.Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | 90);
      }
    }
    java.awt.Graphics2D g = img.createGraphics();
    for (int k = 0; k < 3; k++) {
      g.setColor(new java.awt.Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)));
      int cw = w / 4 + rnd.nextInt(w / 3);
      int ch = h / 4 + rnd.nextInt(h / 3);
      if (k % 2 == 0) {
        g.fillOval(rnd.nextInt(w - cw), rnd.nextInt(h - ch), cw, ch);
      } else {
        g.fillRect(rnd.nextInt(w - cw), rnd.nextInt(h - ch), cw, ch);
      }
    }
    g.dispose();
    try (java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream()) {
      javax.imageio.ImageIO.write(img, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
