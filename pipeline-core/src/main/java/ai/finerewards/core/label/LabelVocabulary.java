package ai.finerewards.core.label;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The labels CLIP chooses from: one label a line, blank lines and # comments skipped, duplicates
 * refused. Its id is the first 16 hex chars of SHA-256 over the labels, each followed by a newline.
 */
public record LabelVocabulary(String source, List<String> labels, String id) {
  public static final String BUNDLED = "ai/finerewards/core/label/coco-stuff.txt";

  /** {@code location} empty = the bundled COCO-Stuff list; otherwise a local path or Hadoop URI. */
  public static LabelVocabulary load(String location) {
    if (location == null || location.isBlank()) {
      InputStream in = LabelVocabulary.class.getClassLoader().getResourceAsStream(BUNDLED);
      if (in == null) {
        throw new IllegalStateException("bundled label vocabulary " + BUNDLED + " missing from the classpath");
      }
      return parse("classpath:" + BUNDLED, in);
    }
    try {
      Path p = new Path(URI.create(location).getScheme() == null ? new java.io.File(location).toURI().toString() : location);
      FileSystem fs = p.getFileSystem(new Configuration());
      if (!fs.exists(p)) {
        throw new IllegalArgumentException("label vocabulary " + location
            + " (finerewards.segment.label-vocabulary) does not exist");
      }
      return parse(location, fs.open(p));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read label vocabulary " + location, e);
    }
  }

  static LabelVocabulary parse(String source, InputStream in) {
    List<String> labels = new ArrayList<>();
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        String label = line.strip();
        if (label.isEmpty() || label.startsWith("#")) {
          continue;
        }
        if (!seen.add(label)) {
          throw new IllegalArgumentException("label vocabulary " + source + " line " + n + ": '" + label
              + "' appears twice");
        }
        labels.add(label);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read label vocabulary " + source, e);
    }
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("label vocabulary " + source + " has no labels");
    }
    return new LabelVocabulary(source, List.copyOf(labels), idOf(labels));
  }

  static String idOf(List<String> labels) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String l : labels) {
        d.update((l + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(d.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
