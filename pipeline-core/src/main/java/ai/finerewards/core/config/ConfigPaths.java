package ai.finerewards.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Makes the relative paths of a configuration absolute {@code file:} URIs against one base
 * directory, on the driver, before any task runs. Without it a relative model directory resolves
 * against each executor's working directory (on a standalone cluster {@code work/app-.../N/}) and
 * fails there, while the same path works on the driver.
 *
 * <p>A value with a URI scheme ({@code file:}, {@code hdfs:}, {@code s3a:} ...) or an absolute
 * path is left as it is; so are the keywords of {@code generate.lora} and an empty
 * {@code segment.label-vocabulary}. {@code model-cache.local-dir} is deliberately not listed: it
 * is a directory on each executor's own disk.
 */
public final class ConfigPaths {
  /** The keys (below {@code finerewards.}) that hold a path of the driver's file system. */
  public static final List<String> PATH_KEYS = pathKeys();

  // A URI scheme of two or more letters; one letter would be a Windows drive.
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");
  /** Values that are keywords, not paths. */
  private static final Set<String> KEYWORDS = Set.of("", "previous-round", "none");

  private ConfigPaths() {}

  private static List<String> pathKeys() {
    List<String> keys = new ArrayList<>(List.of("run.root", "prompts.path", "evaluate.prompts.path"));
    for (String family : ModelsConfig.FAMILIES) {
      keys.add(ModelsConfig.SECTION + "." + family);
    }
    keys.add("generate.lora");
    keys.add("segment.label-vocabulary");
    return List.copyOf(keys);
  }

  /**
   * {@code config} with every relative path of {@link #PATH_KEYS} replaced by the absolute
   * {@code file:} URI it names under {@code base}.
   *
   * @param config a resolved configuration with a {@code finerewards} section
   * @param base the directory relative paths are relative to (the driver's working directory)
   */
  public static Config absolutize(Config config, Path base) {
    Path dir = base.toAbsolutePath().normalize();
    Config out = config;
    for (String key : PATH_KEYS) {
      String full = PipelineConfigLoader.ROOT + "." + key;
      if (!config.hasPath(full)) {
        continue;
      }
      String value = config.getString(full);
      String trimmed = value.trim();
      if (KEYWORDS.contains(trimmed) || SCHEME.matcher(trimmed).matches() || Path.of(trimmed).isAbsolute()) {
        continue;
      }
      out = out.withValue(full, ConfigValueFactory.fromAnyRef(
          toUri(dir.resolve(trimmed).normalize()), "relative " + key + " = " + value + " resolved against " + dir));
    }
    return out;
  }

  /** {@code file:/abs/path} without the trailing slash {@code Path.toUri} adds to directories. */
  static String toUri(Path absolute) {
    String uri = absolute.toUri().toString();
    return uri.length() > "file:///".length() && uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
