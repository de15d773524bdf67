package ai.finerewards.core.run;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The content fingerprint of an input read from outside the run root (say, the prompt files): a
 * SHA-256 over every data file's name, size and SHA-256. Data files are what Spark would read: the
 * file itself, or a directory's plain files whose names do not start with {@code _} or {@code .}.
 * Modification times are left out on purpose: a copied or touched file with the same bytes gives
 * the same outputs, so it must not recompute a stage.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * @param path a file or directory, local or any Hadoop URI
   * @return the fingerprint input; a missing path is not an error here (the stage reports it)
   */
  public static StageFingerprint.Input fingerprint(String label, String path, Configuration hadoop) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(hadoop);
      List<FileStatus> files = new ArrayList<>();
      FileStatus top;
      try {
        top = fs.getFileStatus(p);
      } catch (FileNotFoundException e) {
        return new StageFingerprint.Input(label, -1, "missing", 0);
      }
      if (top.isFile()) {
        files.add(top);
      } else {
        for (FileStatus st : fs.listStatus(p)) {
          String name = st.getPath().getName();
          if (st.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
            files.add(st);
          }
        }
      }
      files.sort(Comparator.comparing(st -> st.getPath().getName()));
      MessageDigest all = sha256();
      for (FileStatus st : files) {
        MessageDigest one = sha256();
        try (InputStream in = new DigestInputStream(fs.open(st.getPath()), one)) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        all.update((st.getPath().getName() + " " + st.getLen() + " " + HexFormat.of().formatHex(one.digest()) + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      return new StageFingerprint.Input(label, -1, HexFormat.of().formatHex(all.digest()), files.size());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + " to fingerprint it", e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
