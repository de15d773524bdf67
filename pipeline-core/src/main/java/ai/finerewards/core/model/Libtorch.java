package ai.finerewards.core.model;

import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which libtorch this JVM's DJL PyTorch engine loads ({@code finerewards.models.libtorch}).
 *
 * <p>Empty {@code path}: the libtorch of the {@code pytorch-native-*} jar on the class path (DJL's
 * default, route (a) of docs/gpu.md). Otherwise an installed PyTorch (route (b)): the folder of
 * {@code libtorch.so}, e.g. a pip wheel's {@code site-packages/torch/lib}. {@link #apply()} then
 * hands DJL its override settings as system properties (DJL reads each as an environment variable
 * or a system property): {@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION},
 * {@code PYTORCH_FLAVOR}, {@code ENGINE_CACHE_DIR}, and {@code jna.library.path} for the CUDA
 * runtime that DJL's GPU count loads. It runs in every JVM that runs a model (driver and
 * executors, from the configuration each task carries), before the engine starts, so a user
 * writes no environment variable.
 *
 * <p>DJL's JNI ({@code libdjl_torch.so}) runs only with the exact torch version it was compiled
 * against: another version loads, then crashes the JVM at the first model load. So before the
 * engine starts, {@link #check()} refuses a JNI whose torch version is not the installed one, with
 * both versions named. For torch {@value #JAR_TORCH_VERSION} the JNI inside DJL's
 * {@code pytorch-jni} jar is used; for any other version it must be the one that
 * {@code bin/build-djl-jni} built and stamped with the torch version ({@value #STAMP_SUFFIX}).
 *
 * @param path folder of libtorch.so, or empty for the native jar's libtorch
 * @param version torch version of that folder (e.g. 2.11.0), or empty to read it from the install
 * @param flavor DJL's flavour name: cpu or cuXYZ (names the JNI's cache folder)
 * @param cudaRuntimePath folder of libcudart.so*, put on jna.library.path; empty: the system's
 * @param cacheDir DJL's engine cache (where the JNI is looked up); empty: DJL's default
 */
public record Libtorch(String path, String version, String flavor, String cudaRuntimePath, String cacheDir)
    implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The torch version of DJL's pytorch-jni jar on the class path (its JNI is for this version). */
  public static final String JAR_TORCH_VERSION = engineProperty("pytorch_version", "2.7.1");
  /** DJL's version, the prefix of the JNI file name in the cache. */
  public static final String DJL_VERSION = engineProperty("djl_version", "0.36.0");
  /** Suffix of the file beside a built JNI that holds the torch version it was built against. */
  public static final String STAMP_SUFFIX = ".torch-version";
  /** The flavours of the JNI inside the pytorch-jni jar for linux-x86_64. */
  static final java.util.List<String> JAR_FLAVORS = java.util.List.of("cpu", "cu128");
  private static final String KEY = "finerewards.models.libtorch";
  private static final Pattern PIP_VERSION = Pattern.compile("__version__\\s*=\\s*'([^']+)'");
  private static Libtorch applied;

  public Libtorch {
    path = path == null ? "" : path.trim();
    version = version == null ? "" : version.trim();
    flavor = flavor == null ? "" : flavor.trim();
    cudaRuntimePath = cudaRuntimePath == null ? "" : cudaRuntimePath.trim();
    cacheDir = cacheDir == null ? "" : cacheDir.trim();
    if (!flavor.matches("cpu|cu[0-9]+")) {
      throw new ModelError(KEY + ".flavor = \"" + flavor + "\": expected cpu or cuXYZ (e.g. cu128, cu130)");
    }
  }

  /** The native jar's libtorch, CPU flavour, nothing overridden. */
  public static Libtorch fromJar() {
    return new Libtorch("", "", "cpu", "", "");
  }

  /** Whether an installed libtorch is used instead of the native jar's. */
  public boolean installed() {
    return !path.isEmpty();
  }

  /**
   * The torch version of the installed libtorch, {@code +local} part dropped: the {@code version}
   * key when set, else read from the install ({@code ../version.py} of a pip wheel's
   * {@code torch/lib}, {@code ../build-version} of a libtorch zip). Fails naming both when the key
   * and the install disagree.
   */
  public String torchVersion() {
    String found = installedVersion(Paths.get(path));
    if (version.isEmpty()) {
      if (found == null) {
        throw new ModelError(KEY + ".version is empty and " + path + " has no ../version.py or"
            + " ../build-version to read it from: set " + KEY + ".version (e.g. 2.11.0)");
      }
      return plain(found);
    }
    if (found != null && !plain(found).equals(plain(version))) {
      throw new ModelError(KEY + ".version = " + version + " but the libtorch at " + path
          + " is torch " + found + ": set the key to " + plain(found) + " or point path at torch " + version);
    }
    return plain(version);
  }

  /** DJL's cache folder of the JNI for this libtorch. */
  public Path jniFolder() {
    return engineCacheDir().resolve("pytorch")
        .resolve(torchVersion() + "-" + flavor + "-linux-x86_64");
  }

  /** The JNI file DJL loads for this libtorch. */
  public Path jniFile() {
    return jniFolder().resolve(DJL_VERSION + "-libdjl_torch.so");
  }

  /** Whether DJL takes this libtorch's JNI out of the pytorch-jni jar (same torch version). */
  public boolean jniFromJar() {
    return JAR_TORCH_VERSION.equals(torchVersion());
  }

  /**
   * Fails before the engine starts when this libtorch cannot run: no libtorch.so in path, a
   * version that disagrees with the install, or a JNI built for another torch version (which would
   * crash the JVM). Returns a one-line description of what will be loaded.
   */
  public String check() {
    if (!installed()) {
      return "libtorch of the pytorch-native jar on the class path (torch " + JAR_TORCH_VERSION + ")";
    }
    Path lib = Paths.get(path);
    if (!Files.isRegularFile(lib.resolve("libtorch.so"))) {
      throw new ModelError(KEY + ".path = " + path + ": no libtorch.so there (expected a folder like"
          + " <site-packages>/torch/lib)");
    }
    String torch = torchVersion();
    Path jni = jniFile();
    Path stamp = jni.resolveSibling(jni.getFileName() + STAMP_SUFFIX);
    if (Files.isRegularFile(stamp)) {
      String built = plain(read(stamp));
      if (!built.equals(torch)) {
        throw new ModelError("the DJL JNI " + jni + " was built for torch " + built + " but "
            + KEY + ".path holds torch " + torch + " (" + path + "): a JNI runs only with the torch it"
            + " was built against; rebuild it with bin/build-djl-jni --torch <that torch's site-packages>");
      }
    } else if (jniFromJar()) {
      if (!JAR_FLAVORS.contains(flavor) && !Files.exists(jni)) {
        throw new ModelError(KEY + ".flavor = " + flavor + ": DJL's pytorch-jni jar holds JNIs for torch "
            + JAR_TORCH_VERSION + " in the flavours " + JAR_FLAVORS + " only (use cu128 with any CUDA 12"
            + " build of torch " + JAR_TORCH_VERSION + ")");
      }
    } else {
      if (Files.exists(jni)) {
        throw new ModelError("the DJL JNI " + jni + " has no " + STAMP_SUFFIX + " stamp, so the torch"
            + " version it was built for is unknown, and " + KEY + ".path holds torch " + torch
            + " (DJL's own JNI is for torch " + JAR_TORCH_VERSION + "): rebuild it with bin/build-djl-jni");
      }
      throw new ModelError("no DJL JNI for torch " + torch + " (" + flavor + ") at " + jni + ": DJL's"
          + " pytorch-jni jar holds one for torch " + JAR_TORCH_VERSION + " only; build one with"
          + " bin/build-djl-jni --torch <site-packages of torch " + torch + ">"
          + ("cpu".equals(flavor) ? "" : " --cuda") + " --cache-dir " + engineCacheDir());
    }
    return "installed libtorch " + path + " (torch " + torch + ", " + flavor + "), JNI "
        + (Files.isRegularFile(stamp) ? jni + " (built for torch " + torch + ")"
        : "of the pytorch-jni jar (torch " + JAR_TORCH_VERSION + "), extracted to " + jni);
  }

  /** The system properties {@link #apply()} sets, by name. */
  public Map<String, String> properties() {
    Map<String, String> p = new LinkedHashMap<>();
    if (installed()) {
      p.put("PYTORCH_LIBRARY_PATH", path);
      p.put("PYTORCH_VERSION", torchVersion());
      p.put("PYTORCH_FLAVOR", flavor);
    }
    if (!cacheDir.isEmpty()) {
      p.put("ENGINE_CACHE_DIR", cacheDir);
    }
    if (!cudaRuntimePath.isEmpty()) {
      p.put("jna.library.path", cudaRuntimePath);
    }
    return p;
  }

  /**
   * Checks and sets DJL's overrides in this JVM, once; call before anything starts the engine.
   * Another configuration later in the same JVM fails: DJL reads these settings once, at start.
   * An environment variable of the same name that disagrees fails too (DJL prefers it).
   */
  public void apply() {
    synchronized (Libtorch.class) {
      if (equals(applied)) {
        return;
      }
      // The most specific reason first: a libtorch already loaded names the file the JVM holds.
      check();
      if (installed()) {
        // Something started the engine before this: DJL kept the libtorch it loaded then.
        java.util.Optional<String> loaded = EngineReport.loaded("libtorch.so");
        if (loaded.isPresent() && !loaded.get().startsWith(Paths.get(path).toAbsolutePath().normalize() + "/")) {
          throw new ModelError(KEY + ".path = " + path + " but this JVM already loaded " + loaded.get()
              + " before the setting was applied: a model or NDArray was used before ModelRuntime.device");
        }
      }
      if (applied != null) {
        throw new ModelError(KEY + " changed within one JVM (" + applied + " then " + this
            + "): DJL loads libtorch once per JVM; use one setting per run");
      }
      for (Map.Entry<String, String> e : properties().entrySet()) {
        String env = System.getenv(e.getKey());
        if (env != null && !env.equals(e.getValue())) {
          throw new ModelError("environment variable " + e.getKey() + "=" + env + " disagrees with "
              + KEY + " (" + e.getValue() + ") and DJL would take it: unset it");
        }
        System.setProperty(e.getKey(), e.getValue());
      }
      applied = this;
    }
  }

  /** DJL's engine cache dir: the cache-dir key, else DJL's own rule (ENGINE_CACHE_DIR, DJL_CACHE_DIR, ~/.djl.ai). */
  public Path engineCacheDir() {
    return cacheDir.isEmpty() ? Utils.getEngineCacheDir() : Paths.get(cacheDir);
  }

  /** The version string an install declares, or null when it declares none. */
  static String installedVersion(Path lib) {
    Path parent = lib.toAbsolutePath().getParent();
    if (parent == null) {
      return null;
    }
    Path pip = parent.resolve("version.py");
    if (Files.isRegularFile(pip)) {
      Matcher m = PIP_VERSION.matcher(read(pip));
      if (m.find()) {
        return m.group(1);
      }
    }
    Path zip = parent.resolve("build-version");
    return Files.isRegularFile(zip) ? read(zip) : null;
  }

  /** 2.11.0+cu130 -> 2.11.0. */
  static String plain(String v) {
    String t = v.trim();
    int plus = t.indexOf('+');
    return plus < 0 ? t : t.substring(0, plus);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  private static String engineProperty(String name, String fallback) {
    try (InputStream in = Libtorch.class.getResourceAsStream("/pytorch-engine.properties")) {
      if (in == null) {
        return fallback;
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty(name, fallback);
    } catch (IOException e) {
      return fallback;
    }
  }
}
