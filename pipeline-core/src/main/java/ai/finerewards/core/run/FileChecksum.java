package ai.finerewards.core.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;

/**
 * The checksum a commit marker records per data file: CRC-32C of the whole file, streamed. CRC-32C
 * (not SHA-256) because readers check it on every read: the JDK computes it with the CPU's CRC
 * instructions at several GB/s, so a check costs about as much as reading the file once, and it
 * detects every burst error up to 32 bits and any accidental change with probability 1 - 2^-32.
 * It is not a defence against deliberate tampering; the run root is trusted.
 */
public final class FileChecksum {
  private static final int BUFFER = 1 << 16;

  private FileChecksum() {}

  /** CRC-32C of everything {@code in} yields, as 8 lower-case hex digits; {@code in} is not closed. */
  public static String crc32c(InputStream in) throws IOException {
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[BUFFER];
    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
      crc.update(buf, 0, n);
    }
    return String.format("%08x", crc.getValue());
  }
}
