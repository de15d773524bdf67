package ai.finerewards.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundPartitionStoreTest {
  @TempDir java.nio.file.Path tmp;
  private RoundPartitionStore store;

  @BeforeEach
  void setUp() {
    store = new RoundPartitionStore(tmp.toUri().toString(), new Configuration());
  }

  /** A finished write: data files in a fresh staging directory, not yet published. */
  private Path stage(String table, int round, String... contents) throws IOException {
    Path staging = store.newStaging(table, round);
    java.nio.file.Path dir = java.nio.file.Path.of(staging.toUri());
    Files.createDirectories(dir);
    for (int i = 0; i < contents.length; i++) {
      Files.writeString(dir.resolve("part-" + i + ".parquet"), contents[i]);
    }
    Files.writeString(dir.resolve("_SUCCESS"), "");
    return staging;
  }

  private CommitMarker marker(Path staging, String table, int round, String fingerprint) {
    return new CommitMarker(CommitMarker.FORMAT, table, round, "rank", 7, table, 1, fingerprint, "test",
        Instant.now().toString(), store.listDataFiles(staging));
  }

  private String read(String table, int round, String file) throws IOException {
    return Files.readString(java.nio.file.Path.of(store.partition(table, round).toUri()).resolve(file));
  }

  /** Names in a directory under the root, without Hadoop's hidden .crc checksum files. */
  private List<String> children(String relative) throws IOException {
    java.nio.file.Path dir = tmp.resolve(relative);
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<java.nio.file.Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
    }
  }

  @Test
  void publishMakesTheRoundCommittedWithAMarkerListingItsFiles() throws IOException {
    Path staging = stage("ranked", 0, "aa", "bbb");
    store.publish(staging, marker(staging, "ranked", 0, "f1"));

    CommitMarker m = store.committed("ranked", 0).orElseThrow();
    assertThat(m.fingerprint()).isEqualTo("f1");
    assertThat(m.files()).containsExactly(
        new CommitMarker.DataFile("part-0.parquet", 2, crc32c("aa")),
        new CommitMarker.DataFile("part-1.parquet", 3, crc32c("bbb")));
    assertThat(store.dataFiles(m)).allSatisfy(f -> assertThat(f).startsWith("file:").contains("/ranked/round=0/part-"));
    assertThat(children("ranked/_staging")).isEmpty();
    assertThat(store.committedRounds("ranked")).containsExactly(0);
  }

  @Test
  void republishingReplacesThePartitionAndLeavesNoOldFiles() throws IOException {
    Path first = stage("ranked", 1, "old0", "old1", "old2");
    store.publish(first, marker(first, "ranked", 1, "f1"));
    Path second = stage("ranked", 1, "new0");
    store.publish(second, marker(second, "ranked", 1, "f2"));

    assertThat(store.committed("ranked", 1).orElseThrow().fingerprint()).isEqualTo("f2");
    assertThat(children("ranked/round=1")).containsExactly(CommitMarker.FILE_NAME, "_SUCCESS", "part-0.parquet");
    assertThat(read("ranked", 1, "part-0.parquet")).isEqualTo("new0");
    assertThat(children("ranked/_trash")).isEmpty();
  }

  @Test
  void aPartitionWithoutMarkerOrWithAMissingFileIsNotCommitted() throws IOException {
    Path staging = stage("captions", 0, "x", "y");
    store.publish(staging, marker(staging, "captions", 0, "f"));
    Files.delete(java.nio.file.Path.of(store.partition("captions", 0).toUri()).resolve("part-1.parquet"));
    assertThat(store.committed("captions", 0)).isEmpty();

    Files.createDirectories(tmp.resolve("captions/round=3"));
    Files.writeString(tmp.resolve("captions/round=3/part-0.parquet"), "z");
    assertThat(store.committed("captions", 3)).isEmpty();
    assertThat(store.committedRounds("captions")).isEmpty();
  }

  @Test
  void crashAfterMovingTheOldPartitionAsideRollsTheFinishedWriteForward() throws IOException {
    Path old = stage("ranked", 0, "old");
    store.publish(old, marker(old, "ranked", 0, "old"));
    Path fresh = stage("ranked", 0, "new");
    CommitMarker freshMarker = marker(fresh, "ranked", 0, "new");
    // The state publish() leaves if the process dies between its two renames.
    Files.writeString(java.nio.file.Path.of(fresh.toUri()).resolve(CommitMarker.FILE_NAME), freshMarker.toJson());
    Files.createDirectories(tmp.resolve("ranked/_trash"));
    Files.move(tmp.resolve("ranked/round=0"), tmp.resolve("ranked/_trash/round=0-dead"));
    assertThat(store.committed("ranked", 0)).isEmpty();

    assertThat(store.recover("ranked", 0)).isEqualTo(RoundPartitionStore.Recovery.ROLLED_FORWARD);
    assertThat(store.committed("ranked", 0).orElseThrow().fingerprint()).isEqualTo("new");
    assertThat(read("ranked", 0, "part-0.parquet")).isEqualTo("new");
    assertThat(children("ranked/_trash")).isEmpty();
    assertThat(children("ranked/_staging")).isEmpty();
  }

  @Test
  void crashDuringTheWriteKeepsThePreviousPartitionAndDropsTheUnfinishedStaging() throws IOException {
    Path old = stage("ranked", 2, "old");
    store.publish(old, marker(old, "ranked", 2, "old"));
    stage("ranked", 2, "half"); // no marker: the write never finished

    assertThat(store.recover("ranked", 2)).isEqualTo(RoundPartitionStore.Recovery.CLEANED_LEFTOVERS);
    assertThat(store.committed("ranked", 2).orElseThrow().fingerprint()).isEqualTo("old");
    assertThat(children("ranked/_staging")).isEmpty();
  }

  @Test
  void crashWithOnlyTheOldPartitionInTheTrashRestoresIt() throws IOException {
    Path old = stage("ranked", 0, "old");
    store.publish(old, marker(old, "ranked", 0, "old"));
    Files.createDirectories(tmp.resolve("ranked/_trash"));
    Files.move(tmp.resolve("ranked/round=0"), tmp.resolve("ranked/_trash/round=0-x"));
    // A half-copied new partition (object store rename died midway): files but no valid marker.
    Files.createDirectories(tmp.resolve("ranked/round=0"));
    Files.writeString(tmp.resolve("ranked/round=0/part-9.parquet"), "partial");

    assertThat(store.recover("ranked", 0)).isEqualTo(RoundPartitionStore.Recovery.RESTORED_PREVIOUS);
    assertThat(store.committed("ranked", 0).orElseThrow().fingerprint()).isEqualTo("old");
    assertThat(children("ranked/round=0")).doesNotContain("part-9.parquet");
  }

  @Test
  void recoveryOfAnotherRoundLeavesThisRoundsStagingAlone() throws IOException {
    Path other = stage("ranked", 1, "r1");
    assertThat(store.recover("ranked", 0)).isEqualTo(RoundPartitionStore.Recovery.NOTHING_TO_DO);
    assertThat(Files.exists(java.nio.file.Path.of(other.toUri()))).isTrue();
  }

  @Test
  void aCorruptMarkerNamesItsPath() throws IOException {
    Files.createDirectories(tmp.resolve("ranked/round=0"));
    Files.writeString(tmp.resolve("ranked/round=0/" + CommitMarker.FILE_NAME), "{\"format\": 3", StandardCharsets.UTF_8);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.committed("ranked", 0))
        .hasMessageContaining("ranked/round=0/" + CommitMarker.FILE_NAME)
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void aDataFileWithFlippedBytesMakesThePartitionUncommittedAndSaysWhich() throws IOException {
    Path staging = stage("segments", 2, "abcd", "efgh");
    store.publish(staging, marker(staging, "segments", 2, "f"));
    java.nio.file.Path file = tmp.resolve("segments/round=2/part-1.parquet");
    Files.writeString(file, "efgX"); // same size: only the checksum can tell
    assertThat(store.committed("segments", 2)).isEmpty();
    assertThat(store.inspect("segments", 2).problem())
        .contains("part-1.parquet is damaged").contains(crc32c("efgh")).contains(crc32c("efgX"));
    assertThat(store.committedRounds("segments")).isEmpty();
  }

  @Test
  void aMarkerOfTheFormatWithoutChecksumsCountsAsNotCommitted() throws IOException {
    Path staging = stage("captions", 0, "aa");
    store.publish(staging, marker(staging, "captions", 0, "f"));
    java.nio.file.Path markerFile = tmp.resolve("captions/round=0/" + CommitMarker.FILE_NAME);
    String v1 = Files.readString(markerFile).replace(CommitMarker.FORMAT, "finerewards-commit/1");
    Files.writeString(markerFile, v1);
    assertThat(store.committed("captions", 0)).isEmpty();
    assertThat(store.inspect("captions", 0).problem()).contains("finerewards-commit/1");
  }

  @Test
  void inspectTellsMissingFromUnmarked() throws IOException {
    assertThat(store.inspect("ranked", 9).problem()).isEqualTo("missing");
    Files.createDirectories(tmp.resolve("ranked/round=9"));
    Files.writeString(tmp.resolve("ranked/round=9/part-0.parquet"), "x");
    assertThat(store.inspect("ranked", 9).problem()).isEqualTo("no commit marker");
  }

  private static String crc32c(String content) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return String.format("%08x", crc.getValue());
  }
}
