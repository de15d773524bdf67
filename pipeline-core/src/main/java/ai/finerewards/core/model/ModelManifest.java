package ai.finerewards.core.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code manifest.json} of an exported model directory (contract:
 * exporter/finerewards_export/manifest.py). Parsing checks every field's presence and type;
 * {@link #read} also checks the family and that every file the manifest names exists.
 */
public final class ModelManifest {
  public static final String FILE = "manifest.json";
  /** The manifest format this reader understands (exporter's MANIFEST_FORMAT). */
  public static final int FORMAT = 1;
  public static final List<String> FAMILIES =
      List.of("diffusion", "clip", "captioner", "segmenter", "llm");
  /** Model dtypes DJL's PyTorch engine can run (it has no bfloat16). */
  public static final List<String> DTYPES = List.of("float32", "float16");

  /** A named input or output; -1 marks a free dimension. */
  public record TensorSpec(String name, List<Long> shape, String dtype) {
    public TensorSpec {
      shape = List.copyOf(shape);
    }
  }

  /** One TorchScript file and its positional signature. */
  public record Component(
      String name, String file, List<TensorSpec> inputs, List<TensorSpec> outputs, String doc) {
    public Component {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  private final String origin;
  private final int format;
  private final String exporterVersion;
  private final String torchVersion;
  private final String family;
  private final String architecture;
  private final String dtype;
  private final Map<String, Component> components;
  private final JsonObject config;
  private final JsonObject preprocessing;
  private final String tokenizer;
  private final JsonObject source;
  private final JsonObject extra;
  private final Map<String, FileEntry> files;
  private final String sha256;

  private ModelManifest(String origin, JsonObject root, String sha256) {
    Fields f = new Fields(origin);
    this.origin = origin;
    this.format = f.integer(root, "format");
    if (format != FORMAT) {
      throw f.error("format", root.get("format"),
          "manifest format " + FORMAT + " (re-export the model with a matching exporter)");
    }
    this.exporterVersion = f.string(root, "exporter_version");
    this.torchVersion = f.string(root, "torch_version");
    this.family = f.string(root, "family");
    if (!FAMILIES.contains(family)) {
      throw f.error("family", root.get("family"), "one of " + FAMILIES);
    }
    this.architecture = f.string(root, "architecture");
    this.dtype = f.string(root, "dtype");
    if (!DTYPES.contains(dtype)) {
      throw f.error("dtype", root.get("dtype"),
          "one of " + DTYPES + " (DJL's PyTorch engine has no bfloat16)");
    }
    this.components = Collections.unmodifiableMap(parseComponents(f, f.object(root, "components")));
    this.config = f.optionalObject(root, "config");
    this.preprocessing = f.optionalObject(root, "preprocessing");
    this.tokenizer = f.optionalString(root, "tokenizer");
    this.source = f.optionalObject(root, "source");
    this.extra = f.optionalObject(root, "extra");
    this.files = Collections.unmodifiableMap(parseFiles(f, f.optionalObject(root, "files")));
    this.sha256 = sha256;
  }

  /** A file of the model directory as the exporter recorded it: size in bytes and SHA-256 (hex). */
  public record FileEntry(long size, String sha256) {}

  private static Map<String, FileEntry> parseFiles(Fields f, JsonObject obj) {
    Map<String, FileEntry> out = new java.util.TreeMap<>();
    for (Map.Entry<String, JsonElement> e : obj.entrySet()) {
      String at = "files." + e.getKey();
      if (!e.getValue().isJsonObject()) {
        throw f.error(at, e.getValue(), "an object {size, sha256}");
      }
      JsonObject o = e.getValue().getAsJsonObject();
      JsonElement size = o.get("size");
      if (size == null || !isInteger(size) || size.getAsLong() < 0) {
        throw f.error(at + ".size", size, "the file's size in bytes");
      }
      String sha = f.string(o, at, "sha256");
      if (!sha.matches("[0-9a-f]{64}")) {
        throw f.error(at + ".sha256", o.get("sha256"), "64 lower-case hex digits");
      }
      out.put(e.getKey(), new FileEntry(size.getAsLong(), sha));
    }
    return out;
  }

  /**
   * The {@code files} table: every file of the directory but manifest.json, with size and SHA-256,
   * written by the exporter; empty for a manifest written before the table existed.
   */
  public Map<String, FileEntry> files() {
    return files;
  }

  /**
   * Parse manifest text.
   *
   * @param json the content of manifest.json
   * @param origin the path it came from, used in every message
   */
  public static ModelManifest parse(String json, String origin) {
    JsonElement root;
    try {
      root = JsonParser.parseString(json);
    } catch (JsonParseException e) {
      throw new ModelError(origin + ": not valid JSON (" + e.getMessage() + ")", e);
    }
    if (!root.isJsonObject()) {
      throw new ModelError(origin + ": expected a JSON object at the top level");
    }
    return new ModelManifest(origin, root.getAsJsonObject(), sha256(json));
  }

  /**
   * Read and check {@code <modelDir>/manifest.json}: the format, the family (when
   * {@code expectedFamily} is not null), and that every component file and the tokenizer exist.
   */
  public static ModelManifest read(Path modelDir, String expectedFamily) {
    Path file = modelDir.resolve(FILE);
    if (!Files.isDirectory(modelDir)) {
      throw new ModelError("model directory " + modelDir + " does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new ModelError("model directory " + modelDir + " has no " + FILE
          + " (expected an exporter output directory)");
    }
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelError("cannot read " + file + ": " + e.getMessage(), e);
    }
    ModelManifest m = parse(json, file.toString());
    if (expectedFamily != null) {
      m.checkFamily(expectedFamily);
    }
    m.checkFiles(modelDir);
    return m;
  }

  /** Fails unless this manifest's family is {@code expected}. */
  public void checkFamily(String expected) {
    if (!family.equals(expected)) {
      throw new ModelError(origin + ": field 'family' = \"" + family + "\": expected \"" + expected
          + "\" (is the model directory configured for the right family?)");
    }
  }

  /** Fails unless every component file and the tokenizer exist under {@code modelDir}. */
  public void checkFiles(Path modelDir) {
    for (Component c : components.values()) {
      Path p = modelDir.resolve(c.file());
      if (!Files.isRegularFile(p)) {
        throw new ModelError(origin + ": field 'components." + c.name() + ".file' names " + p
            + ", which does not exist");
      }
    }
    if (tokenizer != null && !Files.isRegularFile(modelDir.resolve(tokenizer))) {
      throw new ModelError(origin + ": field 'tokenizer' names " + modelDir.resolve(tokenizer)
          + ", which does not exist");
    }
  }

  private static Map<String, Component> parseComponents(Fields f, JsonObject obj) {
    if (obj.isEmpty()) {
      throw f.error("components", obj, "at least one component");
    }
    Map<String, Component> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : obj.entrySet()) {
      String at = "components." + e.getKey();
      if (!e.getValue().isJsonObject()) {
        throw f.error(at, e.getValue(), "an object with file, inputs, outputs");
      }
      JsonObject c = e.getValue().getAsJsonObject();
      String file = f.string(c, at, "file");
      if (file.isBlank() || file.startsWith("/") || file.contains("..")) {
        throw f.error(at + ".file", c.get("file"), "a file name relative to the model directory");
      }
      out.put(e.getKey(), new Component(e.getKey(), file,
          tensorSpecs(f, c, at, "inputs"), tensorSpecs(f, c, at, "outputs"),
          c.has("doc") && !c.get("doc").isJsonNull() ? f.string(c, at, "doc") : ""));
    }
    return out;
  }

  private static List<TensorSpec> tensorSpecs(Fields f, JsonObject c, String at, String key) {
    String where = at + "." + key;
    JsonElement el = c.get(key);
    if (el == null || !el.isJsonArray()) {
      throw f.error(where, el, "a list of {name, shape, dtype}");
    }
    List<TensorSpec> out = new ArrayList<>();
    JsonArray arr = el.getAsJsonArray();
    for (int i = 0; i < arr.size(); i++) {
      String w = where + "[" + i + "]";
      if (!arr.get(i).isJsonObject()) {
        throw f.error(w, arr.get(i), "an object {name, shape, dtype}");
      }
      JsonObject t = arr.get(i).getAsJsonObject();
      JsonElement shapeEl = t.get("shape");
      if (shapeEl == null || !shapeEl.isJsonArray()) {
        throw f.error(w + ".shape", shapeEl, "a list of integers (-1 for a free dimension)");
      }
      List<Long> shape = new ArrayList<>();
      for (JsonElement d : shapeEl.getAsJsonArray()) {
        if (!isInteger(d) || d.getAsLong() < -1) {
          throw f.error(w + ".shape", shapeEl, "a list of integers (-1 for a free dimension)");
        }
        shape.add(d.getAsLong());
      }
      out.add(new TensorSpec(f.string(t, w, "name"), shape, f.string(t, w, "dtype")));
    }
    return out;
  }

  private static boolean isInteger(JsonElement e) {
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return false;
    }
    double d = e.getAsDouble();
    return d == Math.rint(d);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Typed field access whose errors name the manifest path and the field. */
  private static final class Fields {
    private final String origin;

    Fields(String origin) {
      this.origin = origin;
    }

    ModelError error(String field, Object found, String expected) {
      return new ModelError(origin + ": field '" + field + "' = "
          + (found == null ? "(missing)" : found) + ": expected " + expected);
    }

    String string(JsonObject o, String field) {
      return string(o, null, field);
    }

    String string(JsonObject o, String at, String field) {
      JsonElement e = o.get(field);
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
        throw error(at == null ? field : at + "." + field, e, "a string");
      }
      return e.getAsString();
    }

    String optionalString(JsonObject o, String field) {
      JsonElement e = o.get(field);
      return e == null || e.isJsonNull() ? null : string(o, field);
    }

    int integer(JsonObject o, String field) {
      JsonElement e = o.get(field);
      if (e == null || !isInteger(e)) {
        throw error(field, e, "an integer");
      }
      return e.getAsInt();
    }

    JsonObject object(JsonObject o, String field) {
      JsonElement e = o.get(field);
      if (e == null || !e.isJsonObject()) {
        throw error(field, e, "an object");
      }
      return e.getAsJsonObject();
    }

    JsonObject optionalObject(JsonObject o, String field) {
      JsonElement e = o.get(field);
      return e == null || e.isJsonNull() ? new JsonObject() : object(o, field);
    }
  }

  // ---------------------------------------------------------------- accessors

  /** Where the manifest was read from. */
  public String origin() {
    return origin;
  }

  public int format() {
    return format;
  }

  public String exporterVersion() {
    return exporterVersion;
  }

  /** The torch version the files were traced with (DJL 0.36 bundles libtorch 2.7.1). */
  public String torchVersion() {
    return torchVersion;
  }

  public String family() {
    return family;
  }

  public String architecture() {
    return architecture;
  }

  public String dtype() {
    return dtype;
  }

  /** Components in manifest order. */
  public Map<String, Component> components() {
    return components;
  }

  /** The named component; a ModelError listing the known names when it is absent. */
  public Component component(String name) {
    Component c = components.get(name);
    if (c == null) {
      throw new ModelError(origin + ": no component '" + name + "' (components: "
          + components.keySet() + ")");
    }
    return c;
  }

  /** The architecture config (a copy: the manifest stays immutable). */
  public JsonObject config() {
    return config.deepCopy();
  }

  public JsonObject preprocessing() {
    return preprocessing.deepCopy();
  }

  /** The tokenizer file name relative to the model directory, if the model has one. */
  public Optional<String> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }

  public JsonObject source() {
    return source.deepCopy();
  }

  public JsonObject extra() {
    return extra.deepCopy();
  }

  /** SHA-256 (hex) of the manifest text: changes whenever the export changes. */
  public String sha256() {
    return sha256;
  }

  @Override
  public String toString() {
    return "ModelManifest[" + family + "/" + architecture + " " + dtype + ", components="
        + components.keySet() + ", " + origin + "]";
  }

}
