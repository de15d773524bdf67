package ai.finerewards.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@code .safetensors} file as the Python {@code safetensors} library does: an 8-byte
 * little-endian header length, a JSON header (string {@code __metadata__} first, tensors in sorted
 * key order with their data laid out in the same order) padded with spaces to a multiple of 8 bytes
 * so the data section stays aligned, then the raw little-endian data. FLOAT32 tensors are written
 * as F32, INT64 as I64, INT32 as I32. Unlike DJL's {@code NDList.encode(SAFETENSORS)} it writes
 * metadata and padding; the data section is limited to 2 GiB (LoRA weights are megabytes).
 */
public final class SafetensorsWriter {
  private final Map<String, HostTensor> tensors = new TreeMap<>();
  private final Map<String, String> metadata = new TreeMap<>();

  /** Adds a tensor; a duplicate or reserved name is an error. */
  public SafetensorsWriter put(String name, HostTensor tensor) {
    if (name == null || name.isEmpty() || name.equals("__metadata__")) {
      throw new IllegalArgumentException("safetensors tensor name \"" + name + "\" is not allowed");
    }
    if (tensors.putIfAbsent(name, tensor) != null) {
      throw new IllegalArgumentException("safetensors tensor \"" + name + "\" added twice");
    }
    return this;
  }

  /** Adds a {@code __metadata__} string entry. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** The whole file. */
  public byte[] toBytes() {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      HostTensor t = e.getValue();
      long bytes = t.numel() * width(t.dtype());
      JsonObject entry = new JsonObject();
      entry.addProperty("dtype", code(t.dtype()));
      JsonArray shape = new JsonArray();
      Arrays.stream(t.shape()).forEach(shape::add);
      entry.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + bytes);
      entry.add("data_offsets", offsets);
      header.add(e.getKey(), entry);
      offset += bytes;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    long total = 8L + padded + offset;
    if (total > Integer.MAX_VALUE) {
      throw new IllegalStateException("safetensors file of " + total + " bytes is over the 2 GiB"
          + " this writer builds in memory");
    }
    ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded);
    out.put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (HostTensor t : tensors.values()) {
      switch (t.dtype()) {
        case FLOAT32 -> out.asFloatBuffer().put(t.floats());
        case INT64 -> out.asLongBuffer().put(t.longs());
        case INT32 -> out.asIntBuffer().put(t.ints());
        default -> throw new IllegalStateException("unsupported dtype " + t.dtype());
      }
      out.position(out.position() + (int) (t.numel() * width(t.dtype())));
    }
    return out.array();
  }

  /** Writes the whole file to {@code out} (not closed). */
  public void writeTo(OutputStream out) throws IOException {
    out.write(toBytes());
  }

  private static int width(HostTensor.DType d) {
    return d == HostTensor.DType.INT64 ? 8 : 4;
  }

  private static String code(HostTensor.DType d) {
    return switch (d) {
      case FLOAT32 -> "F32";
      case INT64 -> "I64";
      case INT32 -> "I32";
    };
  }
}
