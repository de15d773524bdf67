package ai.finerewards.core.image;

import ai.finerewards.core.io.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Test helpers: golden uint8 images and the tiny model directories. */
public final class GoldenImages {
  private GoldenImages() {}

  private static Path copies;

  /**
   * A private copy of models/tiny/{family} (the test is skipped when the exporter has not written
   * it). The copy is a different model-cache key, so these tests' loads do not add to the per-JVM
   * load counts that ExportedModelsLoadTest checks for models/tiny. One copy per JVM, removed at exit.
   */
  public static synchronized Path tinyModel(String family) {
    Path root = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
    Path dir = root.resolve("models/tiny").resolve(family);
    Assumptions.assumeTrue(Files.isDirectory(dir.resolve("golden")), "no tiny model with goldens at " + dir);
    try {
      if (copies == null) {
        copies = Files.createTempDirectory("finerewards-tiny-");
        Path toDelete = copies;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(toDelete)));
      }
      Path copy = copies.resolve(family);
      if (!Files.isDirectory(copy)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          for (Path p : walk.toList()) {
            Files.copy(p, copy.resolve(dir.relativize(p).toString()));
          }
        }
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + dir, e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort at JVM exit
    }
  }

  /** An int64 [H, W, 3] golden tensor as an RGB image. */
  public static RgbImage fromHwc(HostTensor t) {
    long[] s = t.shape();
    long[] v = t.longs();
    byte[] px = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      if (v[i] < 0 || v[i] > 255) {
        throw new IllegalArgumentException("pixel value " + v[i] + " at " + i + " is not uint8");
      }
      px[i] = (byte) v[i];
    }
    return new RgbImage((int) s[1], (int) s[0], px);
  }

  /** Largest absolute difference of two float arrays of the same length. */
  public static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }
}
