package ai.finerewards.core.model;

import ai.finerewards.core.config.ModelCacheConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A model directory made local and checked against its manifest. A directory on a local scheme is
 * used in place; one on any other Hadoop FileSystem ({@code hdfs://}, {@code s3a://}) is copied
 * into the local cache directory once per JVM: into a temporary directory first, then renamed, so
 * a reader never sees half a copy, and keyed by URI and manifest hash, so a changed remote model
 * gets a fresh copy. Concurrent callers for the same copy wait for the one that makes it; several
 * JVMs on one host may share the cache directory (the first rename wins).
 */
public final class ModelDirectory {
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");
  // One fetch per (local target directory) per JVM; a failed fetch is removed so a later call retries.
  private static final Map<Path, CompletableFuture<Path>> FETCHES = new ConcurrentHashMap<>();
  private static final AtomicInteger COPIES = new AtomicInteger();

  private final String uri;
  private final Path localPath;
  private final ModelManifest manifest;
  private final boolean copied;

  private ModelDirectory(String uri, Path localPath, ModelManifest manifest, boolean copied) {
    this.uri = uri;
    this.localPath = localPath;
    this.manifest = manifest;
    this.copied = copied;
  }

  /**
   * Resolve a model directory.
   *
   * @param location a local path or a Hadoop URI
   * @param expectedFamily the family the caller needs, or null to accept any
   * @param cache where remote copies go and which schemes are local
   * @param hadoop Hadoop configuration for remote file systems
   * @throws ModelError naming the location when the directory, its manifest or a file is bad
   */
  public static ModelDirectory resolve(
      String location, String expectedFamily, ModelCacheConfig cache, Configuration hadoop) {
    String scheme = schemeOf(location);
    if (scheme == null || cache.localSchemes().contains(scheme)) {
      Path local = toLocalPath(location, scheme);
      return new ModelDirectory(location, local, ModelManifest.read(local, expectedFamily), false);
    }
    return Remote.fetch(location, expectedFamily, cache, hadoop);
  }

  /** The location as given. */
  public String uri() {
    return uri;
  }

  /** The local directory the model loads from (the original, or the cached copy). */
  public Path localPath() {
    return localPath;
  }

  public ModelManifest manifest() {
    return manifest;
  }

  /** Whether this directory is a local copy of a remote one. */
  public boolean isCopy() {
    return copied;
  }

  /** The local file of a manifest component. */
  public Path componentFile(String component) {
    return localPath.resolve(manifest.component(component).file());
  }

  /** The local tokenizer file; a ModelError when the manifest declares none. */
  public Path tokenizerFile() {
    return localPath.resolve(manifest.tokenizer().orElseThrow(
        () -> new ModelError(manifest.origin() + ": field 'tokenizer' is null; this model has none")));
  }

  /** Number of remote directories copied by this JVM so far (for tests and metrics). */
  public static int copyCount() {
    return COPIES.get();
  }

  @Override
  public String toString() {
    return "ModelDirectory[" + uri + (copied ? " -> " + localPath : "") + "]";
  }

  // ---------------------------------------------------------------- local

  private static String schemeOf(String location) {
    if (!SCHEME.matcher(location).matches()) {
      return null;
    }
    return location.substring(0, location.indexOf(':')).toLowerCase(Locale.ROOT);
  }

  private static Path toLocalPath(String location, String scheme) {
    if (scheme == null) {
      return Paths.get(location).toAbsolutePath().normalize();
    }
    if (!"file".equals(scheme)) {
      throw new ModelError("model directory " + location + ": scheme '" + scheme
          + "' is listed in finerewards.model-cache.local-schemes but only file: can be read in place");
    }
    return Paths.get(URI.create(location)).toAbsolutePath().normalize();
  }

  // ---------------------------------------------------------------- remote

  /**
   * The copy of a remote directory, in its own class: the JVM loads Hadoop's classes only when a
   * remote directory is resolved, so local model directories work without Hadoop on the class path
   * (the device check's bundle carries none, docs/gpu.md).
   */
  private static final class Remote {
    private Remote() {}

    private static ModelDirectory fetch(
        String location, String expectedFamily, ModelCacheConfig cache, Configuration hadoop) {
      org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(location);
      FileSystem fs;
      String manifestText;
      try {
        fs = remote.getFileSystem(hadoop);
        manifestText = readRemote(fs, new org.apache.hadoop.fs.Path(remote, ModelManifest.FILE));
      } catch (FileNotFoundException e) {
        throw new ModelError("model directory " + location + " has no " + ModelManifest.FILE
            + " (or does not exist)", e);
      } catch (IOException e) {
        throw new ModelError("cannot read model directory " + location + ": " + e.getMessage(), e);
      }
      ModelManifest remoteManifest =
          ModelManifest.parse(manifestText, location + "/" + ModelManifest.FILE);
      if (expectedFamily != null) {
        remoteManifest.checkFamily(expectedFamily);
      }
      checkRemoteFiles(fs, remote, remoteManifest, location);
      Path target = cache.localPath().resolve(
          remoteManifest.family() + "-" + cacheKey(location, remoteManifest.sha256()));
      CompletableFuture<Path> mine = new CompletableFuture<>();
      CompletableFuture<Path> existing = FETCHES.putIfAbsent(target, mine);
      if (existing == null) {
        try {
          mine.complete(copyIfAbsent(fs, remote, target, remoteManifest));
        } catch (RuntimeException e) {
          FETCHES.remove(target, mine);
          mine.completeExceptionally(e);
          throw e;
        }
      }
      Path local;
      try {
        local = (existing == null ? mine : existing).join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : e;
      }
      ModelManifest localManifest = ModelManifest.read(local, expectedFamily);
      if (!localManifest.sha256().equals(remoteManifest.sha256())) {
        throw new ModelError("cached copy " + local + " of " + location
            + " has a different manifest; delete it and retry");
      }
      return new ModelDirectory(location, local, localManifest, true);
    }

    private static Path copyIfAbsent(
        FileSystem fs, org.apache.hadoop.fs.Path remote, Path target, ModelManifest manifest) {
      if (Files.isRegularFile(target.resolve(ModelManifest.FILE))) {
        return target; // an earlier JVM on this host made it; the rename made it complete
      }
      Path tmp = null;
      try {
        Files.createDirectories(target.getParent());
        tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".tmp-");
        copyTree(fs, remote, tmp);
        // The copy must be the model the manifest hash named: a remote rewrite mid-copy fails here.
        ModelManifest copied = ModelManifest.read(tmp, null);
        if (!copied.sha256().equals(manifest.sha256())) {
          throw new ModelError("model directory " + remote + " changed while it was copied; retry");
        }
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          COPIES.incrementAndGet();
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
          deleteTree(tmp); // another JVM finished first: use its copy
        } catch (AtomicMoveNotSupportedException e) {
          throw new ModelError("cache directory " + target.getParent()
              + " does not support atomic rename; set finerewards.model-cache.local-dir to a local disk", e);
        }
        return target;
      } catch (IOException e) {
        if (tmp != null) {
          deleteTree(tmp);
        }
        throw new ModelError("cannot copy model directory " + remote + " to " + target + ": "
            + e.getMessage(), e);
      } catch (RuntimeException e) {
        if (tmp != null) {
          deleteTree(tmp);
        }
        throw e;
      }
    }

    private static void copyTree(FileSystem fs, org.apache.hadoop.fs.Path remote, Path into)
        throws IOException {
      for (FileStatus st : fs.listStatus(remote)) {
        String name = st.getPath().getName();
        Path dest = into.resolve(name).normalize();
        if (!dest.getParent().equals(into)) {
          throw new IOException("remote entry " + st.getPath() + " escapes the model directory");
        }
        if (st.isDirectory()) {
          Files.createDirectories(dest);
          copyTree(fs, st.getPath(), dest);
          continue;
        }
        try (InputStream in = fs.open(st.getPath())) {
          long n = Files.copy(in, dest);
          if (n != st.getLen()) {
            throw new IOException("copied " + n + " of " + st.getLen() + " bytes of " + st.getPath());
          }
        }
      }
    }

    /** The same check as {@link ModelManifest#checkFiles}, on the remote side, naming remote paths. */
    private static void checkRemoteFiles(
        FileSystem fs, org.apache.hadoop.fs.Path remote, ModelManifest m, String location) {
      java.util.List<String> files = new java.util.ArrayList<>();
      m.components().values().forEach(c -> files.add(c.file()));
      m.tokenizer().ifPresent(files::add);
      for (String f : files) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(remote, f);
        try {
          if (!fs.getFileStatus(p).isFile()) {
            throw new ModelError(m.origin() + ": names " + p + ", which is not a file");
          }
        } catch (FileNotFoundException e) {
          throw new ModelError(m.origin() + ": names " + p + ", which does not exist", e);
        } catch (IOException e) {
          throw new ModelError("cannot check " + p + " of model directory " + location + ": "
              + e.getMessage(), e);
        }
      }
    }

    private static String readRemote(FileSystem fs, org.apache.hadoop.fs.Path file)
        throws IOException {
      try (InputStream in = fs.open(file)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }

    private static String cacheKey(String location, String manifestSha) {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(location.replaceAll("/+$", "").getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(manifestSha.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest()).substring(0, 20);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    private static void deleteTree(Path dir) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (IOException | UncheckedIOException e) {
        // Best effort: a leftover temp directory is ignored by later lookups (its name has .tmp-).
      }
    }
  }
}
