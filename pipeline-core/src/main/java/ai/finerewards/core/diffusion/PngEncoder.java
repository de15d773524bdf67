package ai.finerewards.core.diffusion;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes 8-bit RGB pixels as a PNG with deterministic bytes: no timestamp or text chunks, filter
 * type 0 on every row, one IDAT chunk compressed by zlib at a fixed level. The same pixels give the
 * same bytes on every run (for a given zlib build), which the generate stage's determinism relies on.
 */
public final class PngEncoder {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final int LEVEL = 6;

  private PngEncoder() {}

  /** @param rgb height x width x 3 bytes, row-major (HWC) */
  public static byte[] encodeRgb(byte[] rgb, int width, int height) {
    if (width <= 0 || height <= 0 || rgb.length != (long) width * height * 3) {
      throw new IllegalArgumentException("PNG: " + rgb.length + " bytes for " + width + "x" + height + " RGB, expected "
          + (long) width * height * 3);
    }
    byte[] raw = new byte[height * (1 + width * 3)];
    for (int y = 0; y < height; y++) {
      raw[y * (1 + width * 3)] = 0; // filter: none
      System.arraycopy(rgb, y * width * 3, raw, y * (1 + width * 3) + 1, width * 3);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 64);
    out.writeBytes(SIGNATURE);
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", deflate(raw));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(LEVEL);
    try {
      d.setInput(raw);
      d.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 64);
      byte[] buf = new byte[64 * 1024];
      while (!d.finished()) {
        int n = d.deflate(buf);
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } finally {
      d.end();
    }
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
