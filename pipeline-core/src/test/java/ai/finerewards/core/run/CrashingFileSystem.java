package ai.finerewards.core.run;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A local file system under the scheme {@code crashfs:} that "kills the process" at its N-th
 * mutating call (create, mkdirs, rename, delete): that call and every later one throw
 * {@link Crash}, an Error, so no catch block of the code under test runs its clean-up, as after
 * kill -9. The crash injection lives here, in a test seam, and not in production classes: the code
 * under test just gets a Hadoop FileSystem.
 */
public final class CrashingFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "crashfs";
  private static final AtomicInteger OPS_LEFT = new AtomicInteger(Integer.MAX_VALUE);
  private static final AtomicInteger OPS_DONE = new AtomicInteger();
  private static volatile boolean dead;

  /** The simulated death of the process. */
  public static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash(String op) {
      super("simulated crash at " + op);
    }
  }

  /** A Hadoop configuration that maps {@code crashfs:} to this class, uncached. */
  public static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set("fs." + SCHEME + ".impl", CrashingFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    return conf;
  }

  /** Crash at the {@code n}-th mutating call from now (0 = the next one); negative = never. */
  public static void crashAt(int n) {
    dead = false;
    OPS_DONE.set(0);
    OPS_LEFT.set(n < 0 ? Integer.MAX_VALUE : n);
  }

  public static boolean crashed() {
    return dead;
  }

  /** Mutating calls made since {@link #crashAt}. */
  public static int opsDone() {
    return OPS_DONE.get();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  private void step(String op) {
    if (dead || OPS_LEFT.getAndDecrement() <= 0) {
      dead = true;
      throw new Crash(op);
    }
    OPS_DONE.incrementAndGet();
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    step("rename " + src + " -> " + dst);
    return super.rename(src, dst);
  }

  @Override
  public boolean delete(Path p, boolean recursive) throws IOException {
    step("delete " + p);
    return super.delete(p, recursive);
  }

  @Override
  public boolean mkdirs(Path p) throws IOException {
    step("mkdirs " + p);
    return super.mkdirs(p);
  }

  @Override
  public boolean mkdirs(Path p, FsPermission permission) throws IOException {
    step("mkdirs " + p);
    return super.mkdirs(p, permission);
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    step("create " + f);
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }
}
