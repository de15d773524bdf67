package ai.finerewards.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of the code that computes a stage, part of every stage fingerprint: a new build
 * version invalidates what the old one committed. Maven writes it into finerewards-build.properties.
 */
public final class CodeVersion {
  private static final String RESOURCE = "/ai/finerewards/jobs/finerewards-build.properties";

  private CodeVersion() {}

  public static String current() {
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
}
