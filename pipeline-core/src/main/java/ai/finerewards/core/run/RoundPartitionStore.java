package ai.finerewards.core.run;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Round partitions of the run's tables on any Hadoop FileSystem, with the commit protocol of
 * docs/table-commits.md:
 *
 * <pre>
 * &lt;root&gt;/&lt;table&gt;/round=&lt;r&gt;/                      committed partition (data files + commit marker)
 * &lt;root&gt;/&lt;table&gt;/_staging/round=&lt;r&gt;-&lt;uuid&gt;/   a write in progress, or finished but not yet published
 * &lt;root&gt;/&lt;table&gt;/_trash/round=&lt;r&gt;-&lt;uuid&gt;/     the previous partition while it is being replaced
 * </pre>
 *
 * Spark's file index skips names starting with {@code _}, so staging and trash never leak into a
 * table read. One writer per (table, round) at a time is assumed: {@link #recover} tidies the
 * leftovers of a crashed writer and must not run beside a live one.
 */
public final class RoundPartitionStore {
  private static final Logger LOG = LoggerFactory.getLogger(RoundPartitionStore.class);
  private static final Pattern ROUND_DIR = Pattern.compile("round=(\\d+)");
  private static final String STAGING = "_staging";
  private static final String TRASH = "_trash";

  private final Path root;
  private final FileSystem fs;

  public RoundPartitionStore(String root, Configuration hadoopConf) {
    this.root = new Path(root);
    try {
      this.fs = this.root.getFileSystem(hadoopConf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of run root " + root, e);
    }
  }

  public Path root() {
    return fs.makeQualified(root);
  }

  public FileSystem fileSystem() {
    return fs;
  }

  public Path tableDir(String table) {
    return fs.makeQualified(new Path(root, table));
  }

  public Path partition(String table, int round) {
    return new Path(tableDir(table), "round=" + round);
  }

  /** A fresh, unique staging directory for a new write of (table, round); not created yet. */
  public Path newStaging(String table, int round) {
    return new Path(new Path(tableDir(table), STAGING), "round=" + round + "-" + UUID.randomUUID());
  }

  /**
   * The marker of (table, round) if the partition is committed and intact (every listed file
   * present with its size and CRC-32C), else empty. Reads every data file once.
   */
  public Optional<CommitMarker> committed(String table, int round) {
    return inspect(table, round).marker();
  }

  /** What {@link #inspect} found: the marker of an intact partition, or why there is none. */
  public record PartitionState(Optional<CommitMarker> marker, String problem) {
    static PartitionState intact(CommitMarker m) {
      return new PartitionState(Optional.of(m), null);
    }

    static PartitionState broken(String problem) {
      return new PartitionState(Optional.empty(), problem);
    }

    public boolean isCommitted() {
      return marker.isPresent();
    }
  }

  /** Like {@link #committed}, and says why a partition does not count as committed. */
  public PartitionState inspect(String table, int round) {
    return check(partition(table, round));
  }

  /** Rounds of {@code table} whose partition is committed, ascending. */
  public List<Integer> committedRounds(String table) {
    List<Integer> rounds = new ArrayList<>();
    for (FileStatus st : listOrEmpty(tableDir(table))) {
      Matcher m = ROUND_DIR.matcher(st.getPath().getName());
      if (st.isDirectory() && m.matches()) {
        int round = Integer.parseInt(m.group(1));
        if (committed(table, round).isPresent()) {
          rounds.add(round);
        }
      }
    }
    rounds.sort(Comparator.naturalOrder());
    return rounds;
  }

  /** Fully qualified paths of the data files a committed marker lists. */
  public List<String> dataFiles(CommitMarker marker) {
    Path dir = partition(marker.table(), marker.round());
    return marker.files().stream().map(f -> new Path(dir, f.name()).toString()).toList();
  }

  /**
   * Data files of a finished write in {@code staging}: every plain file whose name does not start
   * with {@code _} or {@code .} (Spark's {@code _SUCCESS}, checksum files), with sizes and CRC-32C.
   */
  public List<CommitMarker.DataFile> listDataFiles(Path staging) {
    List<CommitMarker.DataFile> files = new ArrayList<>();
    for (FileStatus st : listOrEmpty(staging)) {
      String name = st.getPath().getName();
      if (st.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
        files.add(new CommitMarker.DataFile(name, st.getLen(), crc32c(st.getPath())));
      }
    }
    files.sort(Comparator.comparing(CommitMarker.DataFile::name));
    return files;
  }

  /**
   * Publishes a finished, verified write: writes {@code marker} into {@code staging}, moves the
   * current partition (if any) to the trash, renames the staging directory into place and deletes
   * the trash. A crash at any point leaves a state that {@link #recover} resolves; a failed rename
   * puts the previous partition back before throwing.
   */
  public CommitMarker publish(Path staging, CommitMarker marker) {
    String table = marker.table();
    int round = marker.round();
    Path target = partition(table, round);
    try {
      writeMarker(staging, marker);
      Path trash = null;
      if (fs.exists(target)) {
        trash = new Path(new Path(tableDir(table), TRASH), "round=" + round + "-" + UUID.randomUUID());
        fs.mkdirs(trash.getParent());
        rename(target, trash, table, round);
      }
      try {
        fs.mkdirs(target.getParent());
        rename(staging, target, table, round);
      } catch (IOException | RuntimeException e) {
        if (trash != null && !fs.exists(target)) {
          fs.rename(trash, target);
        }
        throw e;
      }
      if (trash != null && !fs.delete(trash, true)) {
        LOG.warn("could not delete replaced partition {}; the next write of {} round {} removes it", trash, table, round);
      }
      return marker;
    } catch (IOException e) {
      throw new UncheckedIOException("commit of table " + table + " round " + round + " at " + target + " failed", e);
    }
  }

  /**
   * Deletes an abandoned staging directory. Tasks of a failed job that are still being killed can
   * recreate parts of it, so the delete is retried briefly; whatever survives is never read and is
   * deleted by the next {@link #recover} of that round.
   */
  public void abort(Path staging) {
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        fs.delete(staging, true);
        if (!fs.exists(staging)) {
          return;
        }
        Thread.sleep(250);
      } catch (IOException e) {
        LOG.warn("could not delete staging directory {}: {}", staging, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("staging directory {} keeps reappearing; the next write of its round deletes it", staging);
  }

  /**
   * Whether a write of (table, round) was interrupted: a staging or trash directory of the round is
   * left, which the next write or {@code finerewards run} resolves with {@link #recover}.
   */
  public boolean hasLeftovers(String table, int round) {
    String prefix = "round=" + round + "-";
    return !childrenWithPrefix(new Path(tableDir(table), STAGING), prefix).isEmpty()
        || !childrenWithPrefix(new Path(tableDir(table), TRASH), prefix).isEmpty();
  }

  /** What {@link #recover} did. */
  public enum Recovery {
    NOTHING_TO_DO,
    ROLLED_FORWARD,
    RESTORED_PREVIOUS,
    CLEANED_LEFTOVERS
  }

  /**
   * Resolves what a crashed writer of (table, round) left behind. A staging directory with a valid
   * marker is a finished write whose publish was interrupted: the newest one is published. Else,
   * if the partition itself is missing or incomplete, the newest valid partition in the trash is
   * put back. Remaining staging and trash directories of that round are deleted.
   */
  public Recovery recover(String table, int round) {
    Path target = partition(table, round);
    String prefix = "round=" + round + "-";
    List<Path> staged = childrenWithPrefix(new Path(tableDir(table), STAGING), prefix);
    List<Path> trashed = childrenWithPrefix(new Path(tableDir(table), TRASH), prefix);
    if (staged.isEmpty() && trashed.isEmpty()) {
      return Recovery.NOTHING_TO_DO;
    }
    Recovery result = Recovery.CLEANED_LEFTOVERS;
    try {
      Optional<Path> finished = newestValid(staged);
      if (finished.isPresent()) {
        CommitMarker marker = validMarker(finished.get()).orElseThrow();
        publishFinishedStaging(finished.get(), marker);
        staged.remove(finished.get());
        result = Recovery.ROLLED_FORWARD;
        LOG.warn("recovered {} round {}: published the finished write {}", table, round, finished.get());
      } else if (committed(table, round).isEmpty()) {
        Optional<Path> previous = newestValid(trashed);
        if (previous.isPresent()) {
          if (fs.exists(target)) {
            fs.delete(target, true); // incomplete (no valid marker): never readable
          }
          rename(previous.get(), target, table, round);
          trashed.remove(previous.get());
          result = Recovery.RESTORED_PREVIOUS;
          LOG.warn("recovered {} round {}: restored the previous partition from {}", table, round, previous.get());
        }
      }
      for (Path leftover : concat(staged, trashed)) {
        fs.delete(leftover, true);
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException("recovery of table " + table + " round " + round + " failed", e);
    }
  }

  private void publishFinishedStaging(Path staging, CommitMarker marker) throws IOException {
    // The marker is already in place; publish() would rewrite it, so swap directly.
    Path target = partition(marker.table(), marker.round());
    Path trash = null;
    if (fs.exists(target)) {
      trash = new Path(new Path(tableDir(marker.table()), TRASH), "round=" + marker.round() + "-" + UUID.randomUUID());
      fs.mkdirs(trash.getParent());
      rename(target, trash, marker.table(), marker.round());
    }
    rename(staging, target, marker.table(), marker.round());
    if (trash != null) {
      fs.delete(trash, true); // the replaced partition; a crash before this is tidied by the next recover
    }
  }

  private Optional<Path> newestValid(List<Path> dirs) {
    Map<Path, CommitMarker> valid = new HashMap<>();
    for (Path dir : dirs) {
      validMarker(dir).ifPresent(m -> valid.put(dir, m));
    }
    return valid.entrySet().stream()
        .max(Comparator.comparing((Map.Entry<Path, CommitMarker> e) -> java.time.Instant.parse(e.getValue().committedAt())))
        .map(Map.Entry::getKey);
  }

  private Optional<CommitMarker> validMarker(Path dir) {
    PartitionState state = check(dir);
    if (state.problem() != null && !state.problem().startsWith("no commit marker")) {
      LOG.warn("partition {} does not count as committed: {}", dir, state.problem());
    }
    return state.marker();
  }

  /** The marker in {@code dir} if it parses and every listed file is present with its size and CRC. */
  private PartitionState check(Path dir) {
    Path markerPath = new Path(dir, CommitMarker.FILE_NAME);
    CommitMarker marker;
    try (InputStream in = openRaw(markerPath)) {
      marker = CommitMarker.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), markerPath.toString());
    } catch (FileNotFoundException e) {
      return PartitionState.broken(listOrEmpty(dir).length == 0 && !exists(dir) ? "missing" : "no commit marker");
    } catch (CommitMarker.OutdatedFormat e) {
      return PartitionState.broken(e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read commit marker " + markerPath, e);
    }
    Map<String, Long> present = new HashMap<>();
    for (FileStatus st : listOrEmpty(dir)) {
      present.put(st.getPath().getName(), st.getLen());
    }
    for (CommitMarker.DataFile f : marker.files()) {
      Long size = present.get(f.name());
      if (size == null || size != f.size()) {
        return PartitionState.broken("data file " + f.name() + " is " + (size == null ? "missing" : size + " bytes")
            + " (the commit marker lists " + f.size() + " bytes)");
      }
    }
    for (CommitMarker.DataFile f : marker.files()) {
      String actual = crc32c(new Path(dir, f.name()));
      if (!actual.equals(f.crc32c())) {
        return PartitionState.broken("data file " + f.name() + " is damaged: CRC-32C " + actual
            + ", the commit marker lists " + f.crc32c());
      }
    }
    return PartitionState.intact(marker);
  }

  private String crc32c(Path file) {
    try (InputStream in = openRaw(file)) {
      return FileChecksum.crc32c(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " to check its CRC-32C", e);
    }
  }

  /**
   * Opens {@code file} for a whole-file checksum of our own: on a checksummed file system (the
   * local {@code file:} one keeps {@code .crc} side files) through its raw file system, so that a
   * damaged file yields its bytes and a clear mismatch rather than a ChecksumException (whose log
   * line dumps the whole buffer).
   */
  public InputStream openRaw(Path file) throws IOException {
    if (fs instanceof ChecksumFileSystem checksummed) {
      return checksummed.getRawFileSystem().open(file);
    }
    return fs.open(file);
  }

  private boolean exists(Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look for " + p, e);
    }
  }

  private void writeMarker(Path dir, CommitMarker marker) throws IOException {
    try (OutputStream out = fs.create(new Path(dir, CommitMarker.FILE_NAME), true)) {
      out.write(marker.toJson().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void rename(Path from, Path to, String table, int round) throws IOException {
    // Hadoop's rename returns false (rather than throwing) for most failures, and moves `from`
    // *into* `to` if `to` is an existing directory: callers make sure it is not.
    if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " -> " + to + " failed for table " + table + " round " + round);
    }
  }

  private List<Path> childrenWithPrefix(Path dir, String prefix) {
    List<Path> out = new ArrayList<>();
    for (FileStatus st : listOrEmpty(dir)) {
      if (st.getPath().getName().startsWith(prefix)) {
        out.add(st.getPath());
      }
    }
    return out;
  }

  private FileStatus[] listOrEmpty(Path dir) {
    try {
      return fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static List<Path> concat(List<Path> a, List<Path> b) {
    List<Path> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** The URI of the run root, for messages. */
  public URI rootUri() {
    return root().toUri();
  }
}
