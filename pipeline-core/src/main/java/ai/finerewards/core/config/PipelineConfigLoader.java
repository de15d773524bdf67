package ai.finerewards.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Builds the one effective configuration of a run: the {@code reference.conf} defaults, then an
 * optional user HOCON file (a local path or any Hadoop URI), then {@code --set key=value}
 * overrides, resolved once. Keys under {@code finerewards} that reference.conf does not define
 * are rejected, so a typo never silently falls back to a default.
 *
 * <p>An object in reference.conf whose comment contains {@value #OPEN_MARKER} is an open map: it
 * accepts keys that reference.conf does not list (for example weights keyed by reward name).
 */
public final class PipelineConfigLoader {
  public static final String ROOT = "finerewards";
  public static final String OPEN_MARKER = "@open";

  // A URI scheme of two or more letters; one letter would be a Windows drive.
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

  private final Config reference;
  private final Configuration hadoop;

  /** A loader over every {@code reference.conf} on this class's class path. */
  public PipelineConfigLoader() {
    this(
        ConfigFactory.parseResources(
            PipelineConfigLoader.class.getClassLoader(), "reference.conf"),
        new Configuration());
  }

  /**
   * @param reference the parsed, unresolved defaults (must contain {@code finerewards})
   * @param hadoop the Hadoop configuration used to read a user file from a remote FileSystem
   */
  public PipelineConfigLoader(Config reference, Configuration hadoop) {
    if (!reference.hasPath(ROOT)) {
      throw new IllegalStateException("reference configuration has no '" + ROOT + "' section");
    }
    this.reference = reference;
    this.hadoop = hadoop;
  }

  /** Defaults only: reference.conf resolved. */
  public Config defaults() {
    return load(null, List.of());
  }

  /**
   * The effective configuration.
   *
   * @param userFile a HOCON file (local path, {@code file:}, {@code hdfs:}, {@code s3a:} ...), or
   *     null for none
   * @param sets {@code key=value} overrides in order (a later one wins); the key may omit the
   *     {@code finerewards.} prefix; the value is parsed as a HOCON value
   * @throws ConfigError for an unknown key, a malformed override or a value of the wrong shape
   * @throws ConfigException for a file that is missing or not valid HOCON (names the file)
   */
  public Config load(String userFile, List<String> sets) {
    Config user = userFile == null || userFile.isBlank() ? ConfigFactory.empty() : parseFile(userFile);
    Config overrides = ConfigFactory.empty();
    for (String set : sets) {
      overrides = applySet(overrides, set);
    }
    Config merged = overrides.withFallback(user).withFallback(reference).resolve();
    checkKnownKeys(merged);
    return merged;
  }

  /** The section {@code finerewards.<name>}; a ConfigError when it is missing. */
  public static Config section(Config root, String name) {
    String path = ROOT + "." + name;
    if (!root.hasPath(path)) {
      throw new ConfigError(name, "(missing)", "a section (object)");
    }
    try {
      return root.getConfig(path);
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(name, root.getValue(path).render(ConfigRenderOptions.concise()),
          "a section (object)");
    }
  }

  // ---------------------------------------------------------------- user file

  private Config parseFile(String location) {
    ConfigParseOptions options =
        ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF);
    if (!SCHEME.matcher(location).matches()) {
      return ConfigFactory.parseFile(Paths.get(location).toFile(), options);
    }
    URI uri = URI.create(location);
    if ("file".equalsIgnoreCase(uri.getScheme())) {
      return ConfigFactory.parseFile(Paths.get(uri).toFile(), options);
    }
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    String text;
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (FileNotFoundException e) {
      throw new ConfigException.IO(
          ConfigOriginFactory.newSimple(location), "config file not found: " + location);
    } catch (IOException e) {
      throw new ConfigException.IO(
          ConfigOriginFactory.newSimple(location), "cannot read config file " + location, e);
    }
    return ConfigFactory.parseString(text, options.setOriginDescription(location));
  }

  // ---------------------------------------------------------------- --set

  private static Config applySet(Config overrides, String set) {
    int eq = set.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(set, "(no value)", "--set key=value");
    }
    String key = set.substring(0, eq).trim();
    if (key.startsWith(ROOT + ".")) {
      key = key.substring(ROOT.length() + 1);
    }
    try {
      ConfigUtil.splitPath(key);
    } catch (ConfigException e) {
      throw new ConfigError(key, set.substring(eq + 1), "a valid key path (" + e.getMessage() + ")");
    }
    ConfigValue value = parseValue(key, set.substring(eq + 1).trim());
    return overrides.withValue(ROOT + "." + key, value);
  }

  /**
   * A command-line value as HOCON (numbers, booleans, lists, objects, quoted strings), except that
   * an unquoted string is taken verbatim: on a command line {@code //} and {@code #} are part of
   * a URI, not the start of a comment.
   */
  static ConfigValue parseValue(String key, String raw) {
    String origin = "--set " + key;
    ConfigValue parsed;
    try {
      parsed = ConfigFactory.parseString(
              "v = " + raw, ConfigParseOptions.defaults().setOriginDescription(origin))
          .root()
          .get("v");
    } catch (ConfigException e) {
      return ConfigValueFactory.fromAnyRef(raw, origin);
    }
    if (parsed == null || raw.contains("${")) {
      return parsed == null ? ConfigValueFactory.fromAnyRef(raw, origin) : parsed;
    }
    boolean quoted = raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"");
    if (parsed.valueType() == ConfigValueType.STRING && !quoted) {
      return ConfigValueFactory.fromAnyRef(raw, origin);
    }
    return parsed;
  }

  // ---------------------------------------------------------------- known keys

  private void checkKnownKeys(Config merged) {
    ConfigObject ref = reference.root().withOnlyKey(ROOT);
    walk(merged.root().withOnlyKey(ROOT), ref, new ArrayList<>());
  }

  private void walk(ConfigObject actual, ConfigObject ref, List<String> path) {
    for (Map.Entry<String, ConfigValue> e : actual.entrySet()) {
      List<String> childPath = new ArrayList<>(path);
      childPath.add(e.getKey());
      ConfigValue refValue = ref.get(e.getKey());
      ConfigValue value = e.getValue();
      if (refValue == null) {
        throw unknownKey(childPath, value);
      }
      boolean refIsObject = refValue instanceof ConfigObject;
      boolean isObject = value instanceof ConfigObject;
      if (refIsObject && !isObject && value.valueType() != ConfigValueType.NULL) {
        throw new ConfigError(relative(childPath), render(value),
            "a section (object) with keys " + ((ConfigObject) refValue).keySet()
                + " (" + value.origin().description() + ")");
      }
      if (!refIsObject && isObject && refValue.valueType() != ConfigValueType.NULL) {
        throw new ConfigError(relative(childPath), render(value),
            "a " + refValue.valueType().name().toLowerCase() + ", not a section ("
                + value.origin().description() + ")");
      }
      if (refIsObject && isObject && !isOpen(refValue)) {
        walk((ConfigObject) value, (ConfigObject) refValue, childPath);
      }
    }
  }

  private static boolean isOpen(ConfigValue refValue) {
    return refValue.origin().comments().stream().anyMatch(c -> c.contains(OPEN_MARKER));
  }

  private ConfigError unknownKey(List<String> path, ConfigValue value) {
    String key = relative(path);
    String nearest = nearestKnownKey(key);
    return new ConfigError(key, render(value),
        "a key defined in reference.conf; finerewards." + key + " is unknown (set in "
            + value.origin().description() + ")"
            + (nearest == null ? "" : "; nearest known key: finerewards." + nearest));
  }

  /** The reference key (below finerewards.) closest in edit distance to {@code key}. */
  String nearestKnownKey(String key) {
    List<String> known = knownKeys();
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = EditDistance.levenshtein(key, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best;
  }

  /** Every path below finerewards. that reference.conf defines: leaves and sections. */
  public List<String> knownKeys() {
    List<String> out = new ArrayList<>();
    collect((ConfigObject) reference.root().get(ROOT), new ArrayList<>(), out);
    return out;
  }

  private static void collect(ConfigObject obj, List<String> path, List<String> out) {
    for (Map.Entry<String, ConfigValue> e : obj.entrySet()) {
      List<String> child = new ArrayList<>(path);
      child.add(e.getKey());
      out.add(ConfigUtil.joinPath(child));
      if (e.getValue() instanceof ConfigObject) {
        collect((ConfigObject) e.getValue(), child, out);
      }
    }
  }

  private static String relative(List<String> path) {
    return ConfigUtil.joinPath(path.subList(1, path.size()));
  }

  private static String render(ConfigValue v) {
    return v.render(ConfigRenderOptions.concise());
  }
}
