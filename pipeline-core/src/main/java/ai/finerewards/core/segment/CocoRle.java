package ai.finerewards.core.segment;

import java.util.ArrayList;
import java.util.List;

/**
 * COCO run-length encoding as pycocotools writes it: runs over the mask in column-major order,
 * starting with a (possibly empty) run of zeros, compressed to the LEB128-like ASCII string of
 * pycocotools' rleToString (5 bits a character, offset 48, runs after the second as differences).
 */
public final class CocoRle {
  private CocoRle() {}

  /** The run lengths of a row-major {@code h x w} mask, read column by column. */
  public static long[] counts(boolean[] mask, int h, int w) {
    if (mask.length != h * w) {
      throw new IllegalArgumentException("mask has " + mask.length + " values, not " + h + "x" + w);
    }
    List<Long> runs = new ArrayList<>();
    boolean current = false;
    long run = 0;
    for (int x = 0; x < w; x++) {
      for (int y = 0; y < h; y++) {
        boolean v = mask[y * w + x];
        if (v != current) {
          runs.add(run);
          run = 0;
          current = v;
        }
        run++;
      }
    }
    runs.add(run);
    return runs.stream().mapToLong(Long::longValue).toArray();
  }

  /** The compressed string of a mask. */
  public static String encode(boolean[] mask, int h, int w) {
    return toString(counts(mask, h, w));
  }

  static String toString(long[] cnts) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < cnts.length; i++) {
      long x = cnts[i];
      if (i > 2) {
        x -= cnts[i - 2];
      }
      boolean more = true;
      while (more) {
        long c = x & 0x1f;
        x >>= 5;
        more = (c & 0x10) != 0 ? x != -1 : x != 0;
        if (more) {
          c |= 0x20;
        }
        s.append((char) (c + 48));
      }
    }
    return s.toString();
  }

  /** Decodes a compressed string back to a row-major {@code h x w} mask (pycocotools' decode). */
  public static boolean[] decode(String counts, int h, int w) {
    List<Long> cnts = new ArrayList<>();
    int p = 0;
    while (p < counts.length()) {
      long x = 0;
      int k = 0;
      boolean more = true;
      while (more) {
        long c = counts.charAt(p) - 48;
        x |= (c & 0x1f) << (5 * k);
        more = (c & 0x20) != 0;
        p++;
        k++;
        if (!more && (c & 0x10) != 0) {
          x |= -1L << (5 * k);
        }
      }
      if (cnts.size() > 2) {
        x += cnts.get(cnts.size() - 2);
      }
      cnts.add(x);
    }
    boolean[] mask = new boolean[h * w];
    long pos = 0;
    boolean v = false;
    for (long run : cnts) {
      for (long i = 0; i < run; i++, pos++) {
        if (pos >= (long) h * w) {
          throw new IllegalArgumentException("RLE runs exceed the " + h + "x" + w + " mask");
        }
        int col = (int) (pos / h);
        int row = (int) (pos % h);
        mask[row * w + col] = v;
      }
      v = !v;
    }
    if (pos != (long) h * w) {
      throw new IllegalArgumentException("RLE covers " + pos + " pixels, the mask has " + (h * w));
    }
    return mask;
  }
}
