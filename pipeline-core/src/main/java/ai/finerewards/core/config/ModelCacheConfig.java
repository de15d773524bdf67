package ai.finerewards.core.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * The {@code finerewards.model-cache} section: where remote model directories are copied and
 * which URI schemes count as local.
 *
 * @param localDir the local copy directory
 * @param localSchemes lower-case schemes loaded in place without a copy
 */
public record ModelCacheConfig(Path localDir, List<String> localSchemes) {
  public static final String SECTION = "model-cache";

  public ModelCacheConfig {
    localSchemes = localSchemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  public static ModelCacheConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    String dir = r.string("local-dir");
    Path local = dir.isBlank() ? defaultLocalDir() : Paths.get(dir);
    List<String> schemes = r.stringList("local-schemes");
    for (String s : schemes) {
      if (!s.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
        throw new ConfigError(SECTION + ".local-schemes", schemes, "a list of URI scheme names");
      }
    }
    return new ModelCacheConfig(local.toAbsolutePath(), schemes);
  }

  /** {@code <java.io.tmpdir>/finerewards-model-cache}. */
  public static Path defaultLocalDir() {
    return Paths.get(System.getProperty("java.io.tmpdir"), "finerewards-model-cache");
  }

  /** Copy defaults: the default dir, only {@code file} local. */
  public static ModelCacheConfig defaults() {
    return new ModelCacheConfig(defaultLocalDir(), List.of("file"));
  }
}
