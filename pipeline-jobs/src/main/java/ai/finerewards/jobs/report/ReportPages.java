package ai.finerewards.jobs.report;

import ai.finerewards.core.run.RoundPartitionStore;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes the report's pages under {@code <root>/report/} (any Hadoop file system): each page goes
 * to a temporary file first and is renamed over the old one, so a reader never sees half a page.
 * Remembers what it wrote for the {@code report} manifest table.
 */
public final class ReportPages {
  public static final String INDEX = "index.html";
  private static final StructType MANIFEST = new StructType()
      .add("round", DataTypes.IntegerType, false).add("page", DataTypes.StringType, false)
      .add("size_bytes", DataTypes.LongType, false).add("sha256", DataTypes.StringType, false)
      .add("created_at", DataTypes.TimestampType, false);

  private final RoundPartitionStore store;
  private final List<Object[]> written = new ArrayList<>();

  public ReportPages(RoundPartitionStore store) {
    this.store = store;
  }

  public Path path(String page) {
    return new Path(store.tableDir("report"), page);
  }

  public void write(String page, byte[] bytes) {
    Path target = path(page);
    Path tmp = new Path(target.getParent(), "." + page + ".tmp");
    try {
      FileSystem fs = store.fileSystem();
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(bytes);
      }
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename " + tmp + " to " + target + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write report page " + target, e);
    }
    written.add(new Object[] {page, (long) bytes.length, sha256(bytes)});
  }

  /** The manifest rows of the pages written, for round {@code round}. */
  public Dataset<Row> manifest(SparkSession spark, int round) {
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> rows = written.stream().map(w -> RowFactory.create(round, w[0], w[1], w[2], now)).toList();
    return spark.createDataFrame(rows, MANIFEST);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e); // required of every Java platform
    }
  }
}
