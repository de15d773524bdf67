package ai.finerewards.core.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * The {@code finerewards.model-cache} section: where remote model directories are copied and
 * which URI schemes count as local. Serializable, so partition functions can carry it.
 *
 * @param localDir the local copy directory (absolute path); resolved on the JVM that reads it
 * @param localSchemes lower-case schemes loaded in place without a copy
 */
public record ModelCacheConfig(String localDir, List<String> localSchemes) implements Serializable {
  public static final String SECTION = "model-cache";

  public ModelCacheConfig {
    localSchemes = localSchemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  public static ModelCacheConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    String dir = r.string("local-dir");
    List<String> schemes = r.stringList("local-schemes");
    for (String s : schemes) {
      if (!s.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
        throw new ConfigError(SECTION + ".local-schemes", schemes, "a list of URI scheme names");
      }
    }
    return new ModelCacheConfig(dir, schemes);
  }

  /** The copy directory; empty means {@code <java.io.tmpdir>/finerewards-model-cache} of this JVM. */
  public Path localPath() {
    Path p = localDir.isBlank()
        ? Paths.get(System.getProperty("java.io.tmpdir"), "finerewards-model-cache")
        : Paths.get(localDir);
    return p.toAbsolutePath();
  }

  /** The defaults: the JVM's temp directory, only {@code file} local. */
  public static ModelCacheConfig defaults() {
    return new ModelCacheConfig("", List.of("file"));
  }
}
