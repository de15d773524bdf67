package ai.finerewards.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a model directory's files against the content hashes its manifest records (the
 * {@code files} table the exporter writes), on the driver before any task: a truncated, replaced or
 * edited file fails here with one paragraph instead of deep inside a task. The same table, hashed,
 * is the model's part of a stage fingerprint, so an edited and re-hashed model recomputes.
 */
public final class ModelFiles {
  /** The command that (re)writes the files table, run from the repository's exporter folder. */
  public static final String HASH_COMMAND = "python -m finerewards_export hash --dir ";

  // SHA-256 per (file, size, mtime), once per JVM: a multi-GB model is hashed once per driver
  // process, not once per stage and round. A file rewritten in place gets a new mtime.
  private static final Map<String, String> HASHED = new ConcurrentHashMap<>();

  private ModelFiles() {}

  /**
   * Fails unless the manifest has a files table that lists every component file and the tokenizer,
   * and every listed file exists with the recorded size and SHA-256.
   *
   * @throws ModelError one paragraph naming the file, the expected and actual hash and the
   *     exporter command that rewrites the table
   */
  public static void verify(ModelDirectory dir) {
    ModelManifest m = dir.manifest();
    Path root = dir.localPath();
    Map<String, ModelManifest.FileEntry> files = m.files();
    if (files.isEmpty()) {
      throw new ModelError("model directory " + root + ": its manifest.json has no 'files' table (file sizes and"
          + " SHA-256), so its files cannot be checked before the run. Re-export the model, or record the"
          + " hashes of the files as they are now with `" + HASH_COMMAND + root + "` (run in exporter/).");
    }
    for (ModelManifest.Component c : m.components().values()) {
      requireListed(root, files, c.file());
    }
    m.tokenizer().ifPresent(t -> requireListed(root, files, t));
    for (Map.Entry<String, ModelManifest.FileEntry> e : files.entrySet()) {
      Path file = root.resolve(e.getKey());
      ModelManifest.FileEntry want = e.getValue();
      if (!Files.isRegularFile(file)) {
        throw mismatch(root, file, want, "the file does not exist");
      }
      long size = size(file);
      if (size != want.size()) {
        throw mismatch(root, file, want, "found " + size + " bytes with SHA-256 " + sha256(file));
      }
      String sha = sha256(file);
      if (!sha.equals(want.sha256())) {
        throw mismatch(root, file, want, "found SHA-256 " + sha + " (same size)");
      }
    }
  }

  /** SHA-256 over the files table (names, sizes, hashes): the model's fingerprint input. */
  public static String digest(ModelDirectory dir) {
    StringBuilder text = new StringBuilder();
    dir.manifest().files().forEach((name, f) -> text.append(name).append(' ').append(f.size()).append(' ')
        .append(f.sha256()).append('\n'));
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static void requireListed(Path root, Map<String, ModelManifest.FileEntry> files, String name) {
    if (!files.containsKey(name)) {
      throw new ModelError("model directory " + root + ": manifest.json's 'files' table does not list " + name
          + ", which the model loads. Record the hashes of the files as they are now with `" + HASH_COMMAND
          + root + "` (run in exporter/).");
    }
  }

  private static ModelError mismatch(Path root, Path file, ModelManifest.FileEntry want, String found) {
    return new ModelError("model file " + file + " does not match " + root.resolve(ModelManifest.FILE)
        + ": the exporter recorded " + want.size() + " bytes with SHA-256 " + want.sha256() + ", " + found
        + ". The file was truncated, replaced or edited after export, and a model built from it would give other"
        + " results under the same model id. Restore the exported file (or re-export the model); if the change is"
        + " intended, record the new hashes with `" + HASH_COMMAND + root + "` (run in exporter/), after which"
        + " every stage that uses this model is recomputed.");
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new ModelError("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }

  static String sha256(Path file) {
    try {
      FileTime mtime = Files.getLastModifiedTime(file);
      String key = file.toAbsolutePath() + "|" + Files.size(file) + "|" + mtime.toMillis();
      String cached = HASHED.get(key);
      if (cached != null) {
        return cached;
      }
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      String sha = HexFormat.of().formatHex(md.digest());
      HASHED.put(key, sha);
      return sha;
    } catch (IOException e) {
      throw new ModelError("cannot read " + file + " to hash it: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
