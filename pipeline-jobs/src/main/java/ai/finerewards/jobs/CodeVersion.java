package ai.finerewards.jobs;

import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.schemas.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The version of the code that computes a stage, part of every stage fingerprint:
 * {@code <Maven version>+<12 hex digits>}, the digits a SHA-256 over the project's own classes and
 * resources (everything under {@code ai/finerewards/} in data-schemas, pipeline-core and
 * pipeline-jobs, from the jars or class directories they were loaded from). Any change of the
 * code, committed or not, gives another version and recomputes on resume; a rebuild of the same
 * sources does not (class files are deterministic; for a jar only names, sizes and CRCs are read,
 * from its central directory). Maven writes the version into finerewards-build.properties.
 */
public final class CodeVersion {
  private static final String RESOURCE = "/ai/finerewards/jobs/finerewards-build.properties";
  private static final String OWN = "ai/finerewards/";
  private static volatile String current;

  private CodeVersion() {}

  public static String current() {
    String v = current;
    if (v == null) {
      v = mavenVersion() + "+" + classesHash(List.of(CodeVersion.class, RoundPartitionStore.class, Tables.class));
      current = v;
    }
    return v;
  }

  private static String mavenVersion() {
    try (InputStream in = CodeVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath; build with Maven");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /** First 12 hex digits of a SHA-256 over the own entries of the code sources of {@code anchors}. */
  static String classesHash(List<Class<?>> anchors) {
    Set<Path> sources = new LinkedHashSet<>();
    for (Class<?> c : anchors) {
      try {
        sources.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
      } catch (URISyntaxException | NullPointerException e) {
        throw new IllegalStateException("cannot locate the code of " + c.getName() + " to version it", e);
      }
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path source : sources) {
        if (Files.isDirectory(source)) {
          hashDirectory(source, sha);
        } else {
          hashJar(source, sha);
        }
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the code to version it", e);
    }
  }

  private static void hashDirectory(Path dir, MessageDigest sha) throws IOException {
    Path own = dir.resolve(OWN);
    if (!Files.isDirectory(own)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(own)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      sha.update(dir.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
      sha.update(Files.readAllBytes(f));
    }
  }

  private static void hashJar(Path jar, MessageDigest sha) throws IOException {
    try (JarFile jf = new JarFile(jar.toFile())) {
      List<JarEntry> own = jf.stream().filter(e -> !e.isDirectory() && e.getName().startsWith(OWN))
          .sorted(java.util.Comparator.comparing(JarEntry::getName)).toList();
      for (JarEntry e : own) {
        sha.update((e.getName() + " " + e.getSize() + " " + Long.toHexString(e.getCrc()) + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
