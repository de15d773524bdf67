package ai.finerewards.core.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * The {@code finerewards.model-cache} section: where remote model directories are copied, which URI
 * schemes count as local, and the loaded models' memory budget per device. Serializable, so
 * partition functions can carry it.
 *
 * @param localDir the local copy directory (absolute path); resolved on the JVM that reads it
 * @param localSchemes lower-case schemes loaded in place without a copy
 * @param deviceMemoryBudget bytes per device, {@link #BUDGET_AUTO} or {@link #BUDGET_UNLIMITED}
 */
public record ModelCacheConfig(String localDir, List<String> localSchemes, long deviceMemoryBudget)
    implements Serializable {
  public static final String SECTION = "model-cache";
  /** {@code device-memory-budget = auto}: from the device's memory (core.model.DeviceMemoryBudget). */
  public static final long BUDGET_AUTO = -1L;
  /** {@code device-memory-budget = unlimited}: never evict. */
  public static final long BUDGET_UNLIMITED = Long.MAX_VALUE;

  public ModelCacheConfig {
    localSchemes = localSchemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  /** Copy settings with the auto budget. */
  public ModelCacheConfig(String localDir, List<String> localSchemes) {
    this(localDir, localSchemes, BUDGET_AUTO);
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
    return new ModelCacheConfig(dir, schemes, budget(section, r));
  }

  /** {@code auto}, {@code unlimited}, or a positive size in HOCON's units ({@code 12g} = 12 GiB, {@code 512m}). */
  private static long budget(Config section, SectionReader r) {
    String key = "device-memory-budget";
    String expected = "auto, unlimited, or a positive size such as 12g, 512m or 2500000000 (bytes)";
    Object raw = section.hasPath(key) ? section.getValue(key).unwrapped() : null;
    if (raw instanceof String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      if (t.equals("auto")) {
        return BUDGET_AUTO;
      }
      if (t.equals("unlimited")) {
        return BUDGET_UNLIMITED;
      }
    }
    long bytes;
    try {
      bytes = section.getBytes(key);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigError(r.fullKey(key), r.raw(key), expected);
    }
    if (bytes <= 0) {
      throw new ConfigError(r.fullKey(key), r.raw(key), expected);
    }
    return bytes;
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
    return new ModelCacheConfig("", List.of("file"), BUDGET_AUTO);
  }
}
