package ai.finerewards.core.seed;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The seed of one sample, a pure function of its key: (base seed, round, prompt_id, sample_idx).
 * It never depends on a task id, a partition, a thread or the JVM, so a retried Spark task or a
 * re-run writes the same image, and a Python user can reproduce it.
 *
 * <p>Definition (version 1). Build the message, all integers big-endian two's complement:
 *
 * <pre>
 *   "finerewards.sample-seed.v1"   26 ASCII bytes (domain tag)
 *   0x00                           1 byte separator
 *   baseSeed                       int64, 8 bytes
 *   round                          int32, 4 bytes
 *   len(UTF-8(promptId))           int32, 4 bytes
 *   UTF-8(promptId)                len bytes, no normalisation, no terminator
 *   sampleIdx                      int32, 4 bytes
 * </pre>
 *
 * The seed is the first 8 bytes of SHA-256(message) read as a big-endian signed int64. In Python:
 *
 * <pre>
 *   import hashlib, struct
 *   def seed(base, rnd, pid, idx):
 *       p = pid.encode("utf-8")
 *       msg = (b"finerewards.sample-seed.v1\x00" + struct.pack(">qii", base, rnd, len(p))
 *              + p + struct.pack(">i", idx))
 *       return int.from_bytes(hashlib.sha256(msg).digest()[:8], "big", signed=True)
 * </pre>
 *
 * The length prefix keeps the encoding injective (no two keys share a message). The seed may be
 * negative; {@code torch.Generator.manual_seed} accepts the full signed int64 range. Use
 * {@link #unsignedSeed} where a consumer wants a value in [0, 2^64) as a string.
 */
public final class SampleSeeds {

  /** The domain tag, part of the hashed message; bump its version if the layout ever changes. */
  public static final String DOMAIN_TAG = "finerewards.sample-seed.v1";

  private static final byte[] TAG_BYTES = DOMAIN_TAG.getBytes(StandardCharsets.US_ASCII);

  private SampleSeeds() {}

  /**
   * The seed of sample (round, promptId, sampleIdx) under {@code baseSeed}, as defined above.
   *
   * @throws IllegalArgumentException if promptId is null, or round or sampleIdx is negative
   */
  public static long seed(long baseSeed, int round, String promptId, int sampleIdx) {
    if (promptId == null) {
      throw new IllegalArgumentException("seed: prompt_id must not be null");
    }
    if (round < 0) {
      throw new IllegalArgumentException("seed: round must be >= 0, got " + round);
    }
    if (sampleIdx < 0) {
      throw new IllegalArgumentException("seed: sample_idx must be >= 0, got " + sampleIdx);
    }
    byte[] prompt = promptId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer message =
        ByteBuffer.allocate(TAG_BYTES.length + 1 + 8 + 4 + 4 + prompt.length + 4)
            .order(ByteOrder.BIG_ENDIAN);
    message.put(TAG_BYTES).put((byte) 0).putLong(baseSeed).putInt(round);
    message.putInt(prompt.length).put(prompt).putInt(sampleIdx);
    byte[] digest = sha256().digest(message.array());
    return ByteBuffer.wrap(digest, 0, 8).order(ByteOrder.BIG_ENDIAN).getLong();
  }

  /** The same seed as {@link #seed}, written as an unsigned decimal number in [0, 2^64). */
  public static String unsignedSeed(long baseSeed, int round, String promptId, int sampleIdx) {
    return Long.toUnsignedString(seed(baseSeed, round, promptId, sampleIdx));
  }

  // A fresh digest per call: MessageDigest is not thread-safe and Spark runs tasks on many threads.
  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (java.security.MessageDigest javadoc).
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
