package ai.finerewards.core.model;

import com.google.gson.Gson;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A machine-readable record of model loads, for checking "one load per model per executor JVM"
 * on a real cluster, where the cache's in-memory counters die with the executor. Off unless the
 * environment variable {@value #ENV} names a directory (on Spark:
 * {@code --conf spark.executorEnv.FINEREWARDS_MODEL_LOAD_LOG=DIR}); then every load appends one
 * JSON line to {@code DIR/loads-<pid>.jsonl}, one file per JVM so concurrent JVMs never
 * interleave writes.
 *
 * <p>Line fields: {@code jvm} (pid@host), {@code pid}, {@code model} ({@link ModelKey#toString}),
 * {@code directory}, {@code component}, {@code device}, {@code dtype}, {@code ms}, {@code time}.
 */
public final class ModelLoadLog {
  public static final String ENV = "FINEREWARDS_MODEL_LOAD_LOG";
  private static final Gson GSON = new Gson();

  private ModelLoadLog() {}

  /** Appends the record of one load when {@value #ENV} is set; a failure to write is an error. */
  static void recordLoad(ModelKey key, long millis) {
    String dir = System.getenv(ENV);
    if (dir == null || dir.isBlank()) {
      return;
    }
    append(Paths.get(dir), key, millis);
  }

  /** Appends one load record to this JVM's file under {@code dir}; the file it wrote to. */
  static Path append(Path dir, ModelKey key, long millis) {
    long pid = ProcessHandle.current().pid();
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("jvm", ManagementFactory.getRuntimeMXBean().getName());
    line.put("pid", pid);
    line.put("model", key.toString());
    line.put("directory", key.directory());
    line.put("component", key.component());
    line.put("device", key.device());
    line.put("dtype", key.dtype());
    line.put("ms", millis);
    line.put("time", Instant.now().toString());
    Path file = dir.resolve("loads-" + pid + ".jsonl");
    try {
      Files.createDirectories(file.getParent());
      synchronized (ModelLoadLog.class) {
        Files.writeString(file, GSON.toJson(line) + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      // The variable was set on purpose (a test or an audit): losing records silently would lie.
      throw new ModelError(ENV + " (" + dir + "): cannot append the load record to " + file
          + ": " + e.getMessage(), e);
    }
    return file;
  }
}
