package ai.finerewards.core.model;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Hadoop's RawLocalFileSystem under the scheme {@code localfs}, standing in for a remote file
 * system (hdfs, s3a) in tests: all reads go through the Hadoop FileSystem API, and the scheme is
 * not one the cache treats as local. Register with {@code fs.localfs.impl}.
 */
public class LocalAsRemoteFileSystem extends RawLocalFileSystem {
  private static final URI NAME = URI.create("localfs:///");

  @Override
  public URI getUri() {
    return NAME;
  }

  @Override
  public String getScheme() {
    return "localfs";
  }
}
