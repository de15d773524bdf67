package ai.finerewards.jobs.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.KeyValue;
import org.apache.parquet.format.Util;

/**
 * Adds key-value metadata to the footer of a finished Parquet file.
 *
 * <p>Why afterwards: Spark's Parquet writer (3.5 and 4.0) fixes its own {@code WriteSupport} and
 * puts only Spark's keys in the footer; parquet-mr reads no extra footer metadata from the Hadoop
 * configuration. A Parquet file is {@code PAR1 | row groups | footer | footer length | PAR1} and
 * every offset in the footer points into the row groups, so copying the bytes before the footer
 * and appending the same footer with the extra keys gives a valid file with identical data, without
 * decoding a page. The footer is read and written with the Parquet classes of the Spark that wrote
 * it, so no field is lost.
 */
public final class ParquetFooterMetadata {
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
  private static final int TAIL = 8; // 4-byte little-endian footer length + magic

  private ParquetFooterMetadata() {}

  /**
   * Rewrites {@code file} with {@code extra} in its footer's key-value metadata (an existing key is
   * replaced). Writes {@code .<name>.footer-tmp} beside it, then replaces the file with it.
   */
  public static void add(Path file, Configuration conf, Map<String, String> extra) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    long length = fs.getFileStatus(file).getLen();
    FileMetaData footer;
    long footerStart;
    try (FSDataInputStream in = fs.open(file)) {
      byte[] tail = new byte[TAIL];
      if (length < MAGIC.length + TAIL) {
        throw new IOException("not a Parquet file (only " + length + " bytes): " + file);
      }
      in.readFully(length - TAIL, tail);
      if (!java.util.Arrays.equals(java.util.Arrays.copyOfRange(tail, 4, 8), MAGIC)) {
        throw new IOException("not a plain Parquet file (no PAR1 at its end; an encrypted footer is not supported): " + file);
      }
      int footerLength = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
      footerStart = length - TAIL - footerLength;
      if (footerLength <= 0 || footerStart < MAGIC.length) {
        throw new IOException("corrupt Parquet footer length " + footerLength + " in " + file);
      }
      byte[] bytes = new byte[footerLength];
      in.readFully(footerStart, bytes);
      footer = Util.readFileMetaData(new ByteArrayInputStream(bytes));
    }
    List<KeyValue> kv = new ArrayList<>();
    if (footer.isSetKey_value_metadata()) {
      footer.getKey_value_metadata().stream().filter(e -> !extra.containsKey(e.getKey())).forEach(kv::add);
    }
    extra.forEach((k, v) -> kv.add(new KeyValue(k).setValue(v)));
    footer.setKey_value_metadata(kv);
    ByteArrayOutputStream newFooter = new ByteArrayOutputStream();
    Util.writeFileMetaData(footer, newFooter);

    Path tmp = new Path(file.getParent(), "." + file.getName() + ".footer-tmp");
    try (InputStream in = fs.open(file); OutputStream out = fs.create(tmp, true)) {
      copy(in, out, footerStart);
      newFooter.writeTo(out);
      out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(newFooter.size()).array());
      out.write(MAGIC);
    }
    if (!fs.delete(file, false) || !fs.rename(tmp, file)) {
      throw new IOException("could not replace " + file + " by " + tmp + " (footer metadata)");
    }
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = n;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException("file ended " + left + " bytes before its footer");
      }
      out.write(buf, 0, r);
      left -= r;
    }
  }
}
