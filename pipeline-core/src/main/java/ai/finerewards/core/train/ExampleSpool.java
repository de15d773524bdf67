package ai.finerewards.core.train;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Training examples streamed once from their source (a Spark partition iterator) into a local
 * file and read back by index, so training can run many epochs in shuffled order while memory
 * holds only one offset per example. The file is deleted on close.
 */
public final class ExampleSpool implements ExampleSet, AutoCloseable {
  private final Path file;
  private final long[] offsets;
  private final RandomAccessFile in;

  private ExampleSpool(Path file, long[] offsets) throws IOException {
    this.file = file;
    this.offsets = offsets;
    this.in = new RandomAccessFile(file.toFile(), "r");
  }

  /** Drains {@code examples} into a new spool file in {@code dir}. */
  public static ExampleSpool write(Iterator<TrainExample> examples, Path dir) {
    try {
      Files.createDirectories(dir);
      Path file = Files.createTempFile(dir, "train-examples-", ".spool");
      long[] offsets = new long[64];
      int n = 0;
      long pos = 0;
      try (DataOutputStream out = new DataOutputStream(
          new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
        while (examples.hasNext()) {
          TrainExample e = examples.next();
          if (n == offsets.length) {
            offsets = Arrays.copyOf(offsets, n * 2);
          }
          offsets[n++] = pos;
          byte[] id = e.id().getBytes(StandardCharsets.UTF_8);
          byte[] prompt = e.prompt().getBytes(StandardCharsets.UTF_8);
          out.writeInt(id.length);
          out.write(id);
          out.writeInt(prompt.length);
          out.write(prompt);
          out.writeInt(e.image().length);
          out.write(e.image());
          pos += 12L + id.length + prompt.length + e.image().length;
        }
      }
      return new ExampleSpool(file, Arrays.copyOf(offsets, n));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot spool training examples under " + dir, e);
    }
  }

  @Override
  public int size() {
    return offsets.length;
  }

  @Override
  public synchronized TrainExample get(int index) {
    try {
      in.seek(offsets[index]);
      String id = new String(read(in.readInt()), StandardCharsets.UTF_8);
      String prompt = new String(read(in.readInt()), StandardCharsets.UTF_8);
      return new TrainExample(id, prompt, read(in.readInt()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read training example " + index + " from " + file, e);
    }
  }

  private byte[] read(int n) throws IOException {
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  @Override
  public void close() {
    try {
      in.close();
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete spool file " + file, e);
    }
  }
}
