package ai.finerewards.core.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping
 * each tensor name to {dtype, shape, data_offsets} (plus optional {@code __metadata__} strings),
 * then the raw little-endian data. F32, F16 and BF16 are read as float32; I64 and I32 as they
 * are. Every error names the file and the tensor.
 */
public final class Safetensors {
  private static final long MAX_HEADER = 100L * 1024 * 1024;

  /** A header entry: the tensor's dtype as written in the file, its shape and byte range. */
  public record Entry(String name, String dtype, long[] shape, long begin, long end) {}

  private final Path path;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;
  private final ByteBuffer data;

  private Safetensors(Path path, Map<String, Entry> entries, Map<String, String> metadata,
      ByteBuffer data) {
    this.path = path;
    this.entries = Collections.unmodifiableMap(entries);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.data = data;
  }

  /** Read the whole file (golden files and LoRA weights are small). */
  public static Safetensors read(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw error(path, "file of " + size + " bytes is too short for a header");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long headerLen = len.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
        throw error(path, "header length " + headerLen + " does not fit a file of " + size + " bytes");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8);
      long dataLen = size - 8 - headerLen;
      if (dataLen > Integer.MAX_VALUE) {
        throw error(path, "data section of " + dataLen + " bytes is over the 2 GiB this reader takes");
      }
      ByteBuffer body = ByteBuffer.allocate((int) dataLen).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, body, 8 + headerLen);
      body.flip();
      String json = new String(header.array(), StandardCharsets.UTF_8);
      Map<String, String> meta = new LinkedHashMap<>();
      Map<String, Entry> entries = parseHeader(path, json, dataLen, meta);
      return new Safetensors(path, entries, meta, body);
    } catch (IOException e) {
      throw new SafetensorsException(path + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  public Path path() {
    return path;
  }

  /** Header entries by name, in file order. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /** The {@code __metadata__} strings (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The named tensor as a HostTensor (FLOAT32 for F32/F16/BF16, INT64, INT32). */
  public HostTensor tensor(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw error(path, "no tensor '" + name + "' (tensors: " + entries.keySet() + ")");
    }
    ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    b.position((int) e.begin()).limit((int) e.end());
    int n = (int) HostTensor.numel(e.shape());
    switch (e.dtype()) {
      case "F32": {
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        return HostTensor.ofFloats(out, e.shape());
      }
      case "F16": {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = Half.toFloat(b.getShort());
        }
        return HostTensor.ofFloats(out, e.shape());
      }
      case "BF16": {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
        }
        return HostTensor.ofFloats(out, e.shape());
      }
      case "I64": {
        long[] out = new long[n];
        b.asLongBuffer().get(out);
        return HostTensor.ofLongs(out, e.shape());
      }
      case "I32": {
        int[] out = new int[n];
        b.asIntBuffer().get(out);
        return HostTensor.ofInts(out, e.shape());
      }
      default:
        throw error(path, "tensor '" + name + "' has dtype " + e.dtype()
            + "; this reader supports F32, F16, BF16, I64, I32");
    }
  }

  private static Map<String, Entry> parseHeader(
      Path path, String json, long dataLen, Map<String, String> meta) {
    JsonObject root;
    try {
      JsonElement el = JsonParser.parseString(json);
      if (!el.isJsonObject()) {
        throw error(path, "header is not a JSON object");
      }
      root = el.getAsJsonObject();
    } catch (JsonParseException e) {
      throw error(path, "header is not valid JSON (" + e.getMessage() + ")");
    }
    Map<String, Entry> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> kv : root.entrySet()) {
      String name = kv.getKey();
      if (name.equals("__metadata__")) {
        if (!kv.getValue().isJsonObject()) {
          throw error(path, "__metadata__ is not an object of strings");
        }
        for (Map.Entry<String, JsonElement> m : kv.getValue().getAsJsonObject().entrySet()) {
          meta.put(m.getKey(), m.getValue().getAsString());
        }
        continue;
      }
      try {
        JsonObject t = kv.getValue().getAsJsonObject();
        String dtype = t.get("dtype").getAsString();
        var shapeArr = t.get("shape").getAsJsonArray();
        long[] shape = new long[shapeArr.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeArr.get(i).getAsLong();
        }
        var offs = t.get("data_offsets").getAsJsonArray();
        long begin = offs.get(0).getAsLong();
        long end = offs.get(1).getAsLong();
        if (begin < 0 || end < begin || end > dataLen) {
          throw error(path, "tensor '" + name + "' data_offsets [" + begin + ", " + end
              + "] fall outside the data section of " + dataLen + " bytes");
        }
        int width = width(dtype);
        if (width > 0 && HostTensor.numel(shape) * width != end - begin) {
          throw error(path, "tensor '" + name + "' of dtype " + dtype + " and shape "
              + java.util.Arrays.toString(shape) + " needs " + HostTensor.numel(shape) * width
              + " bytes, its data_offsets give " + (end - begin));
        }
        out.put(name, new Entry(name, dtype, shape, begin, end));
      } catch (RuntimeException e) {
        if (e instanceof SafetensorsException) {
          throw e;
        }
        throw error(path, "header entry '" + name
            + "' is not {dtype, shape, data_offsets}: " + e.getMessage());
      }
    }
    return out;
  }

  private static int width(String dtype) {
    switch (dtype) {
      case "F64": case "I64": case "U64":
        return 8;
      case "F32": case "I32": case "U32":
        return 4;
      case "F16": case "BF16": case "I16": case "U16":
        return 2;
      case "I8": case "U8": case "BOOL":
        return 1;
      default:
        return -1;
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += n;
    }
  }

  private static SafetensorsException error(Path path, String message) {
    return new SafetensorsException(path + ": " + message, null);
  }

  /** A safetensors file that cannot be read; the message names the file. */
  public static final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SafetensorsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
