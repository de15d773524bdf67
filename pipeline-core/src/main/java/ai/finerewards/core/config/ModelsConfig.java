package ai.finerewards.core.config;

import ai.finerewards.core.model.EngineThreads;
import ai.finerewards.core.model.Libtorch;
import ai.finerewards.core.model.ModelError;
import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;

/**
 * The {@code finerewards.models} section: one model directory per family, the device policy and
 * the dtype.
 *
 * @param directories model directory (path or Hadoop URI) by family name
 * @param device {@code auto}, {@code cpu} or {@code gpu}
 * @param dtype {@code auto} (the manifest's), {@code float32} or {@code float16}
 * @param threads libtorch's intra-op and inter-op thread counts, set in every JVM that runs a model
 * @param libtorch which libtorch DJL loads (the native jar's, or an installed one), set likewise
 */
public record ModelsConfig(Map<String, String> directories, String device, String dtype, EngineThreads threads,
    Libtorch libtorch)
    implements java.io.Serializable {
  public static final String SECTION = "models";
  /** The model families, as in the exporter's manifest contract. */
  public static final List<String> FAMILIES =
      List.of("diffusion", "clip", "captioner", "segmenter", "llm");

  public ModelsConfig {
    directories = Map.copyOf(directories);
  }

  public static ModelsConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    Map<String, String> dirs = new java.util.LinkedHashMap<>();
    for (String family : FAMILIES) {
      dirs.put(family, r.nonBlankString(family));
    }
    return new ModelsConfig(
        dirs, r.oneOf("device", "auto", "cpu", "gpu"), r.oneOf("dtype", "auto", "float32", "float16"),
        new EngineThreads(r.intInRange("intra-op-threads", 1, 1024), r.intInRange("inter-op-threads", 1, 1024)),
        libtorch(r));
  }

  private static Libtorch libtorch(SectionReader r) {
    String flavor = r.string("libtorch.flavor");
    try {
      return new Libtorch(r.string("libtorch.path"), r.string("libtorch.version"), flavor,
          r.string("libtorch.cuda-runtime-path"), r.string("libtorch.cache-dir"));
    } catch (ModelError e) {
      throw new ConfigError(r.fullKey("libtorch.flavor"), flavor, "cpu or cuXYZ (e.g. cu128, cu130)");
    }
  }

  /** The directory of {@code family}; a ConfigError naming the key for an unknown family. */
  public String directory(String family) {
    String dir = directories.get(family);
    if (dir == null) {
      throw new ConfigError(SECTION + "." + family, "(missing)",
          "a model directory; families are " + String.join(", ", FAMILIES));
    }
    return dir;
  }
}
