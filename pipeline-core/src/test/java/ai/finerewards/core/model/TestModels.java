package ai.finerewards.core.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Writes small model directories for manifest and directory tests, and finds the tiny models. */
final class TestModels {
  private TestModels() {}

  /** The manifest the exporter would write for a one-component model (files not written). */
  static JsonObject manifest(String family) {
    JsonObject m = new JsonObject();
    m.addProperty("format", 1);
    m.addProperty("exporter_version", "0.1.0");
    m.addProperty("torch_version", "2.7.1");
    m.addProperty("family", family);
    m.addProperty("architecture", "TestArchitecture");
    m.addProperty("dtype", "float32");
    JsonObject comp = new JsonObject();
    comp.addProperty("file", "encoder.pt");
    comp.add("inputs", specs("input_ids", "int64", -1, 77));
    comp.add("outputs", specs("embeds", "float32", -1, 16));
    comp.addProperty("doc", "ids to embeddings");
    JsonObject comps = new JsonObject();
    comps.add("encoder", comp);
    m.add("components", comps);
    m.add("config", new JsonObject());
    m.add("preprocessing", new JsonObject());
    m.addProperty("tokenizer", "tokenizer.json");
    m.add("source", new JsonObject());
    m.add("extra", new JsonObject());
    return m;
  }

  private static JsonArray specs(String name, String dtype, long... shape) {
    JsonObject s = new JsonObject();
    s.addProperty("name", name);
    s.addProperty("dtype", dtype);
    JsonArray dims = new JsonArray();
    for (long d : shape) {
      dims.add(d);
    }
    s.add("shape", dims);
    JsonArray arr = new JsonArray();
    arr.add(s);
    return arr;
  }

  /** A directory with {@code manifest}, its component file, a tokenizer and a nested file. */
  static Path write(Path dir, JsonObject manifest) throws IOException {
    Files.createDirectories(dir.resolve("golden"));
    Files.writeString(dir.resolve(ModelManifest.FILE),
        new GsonBuilder().setPrettyPrinting().create().toJson(manifest), StandardCharsets.UTF_8);
    Files.write(dir.resolve("encoder.pt"), new byte[] {1, 2, 3, 4});
    Files.writeString(dir.resolve("tokenizer.json"), "{}");
    Files.writeString(dir.resolve("golden/README.md"), "golden");
    return dir;
  }

  /** The repository root (surefire sets finerewards.repo.root). */
  static Path repoRoot() {
    return Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
  }
}
