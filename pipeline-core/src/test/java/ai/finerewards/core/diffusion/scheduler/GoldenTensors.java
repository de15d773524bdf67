package ai.finerewards.core.diffusion.scheduler;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads float32 tensors from a safetensors file (8-byte little-endian header length, JSON header,
 * raw little-endian data), enough for the exporter's golden files in tests.
 */
final class GoldenTensors {
  private final Path file;
  private final JsonObject header;
  private final ByteBuffer data;

  private GoldenTensors(Path file, JsonObject header, ByteBuffer data) {
    this.file = file;
    this.header = header;
    this.data = data;
  }

  static GoldenTensors read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = buf.getLong(0);
    String json = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
    ByteBuffer data = ByteBuffer.wrap(bytes, 8 + (int) headerLen, bytes.length - 8 - (int) headerLen)
        .slice().order(ByteOrder.LITTLE_ENDIAN);
    return new GoldenTensors(file, JsonParser.parseString(json).getAsJsonObject(), data);
  }

  int[] shape(String name) {
    JsonObject t = entry(name);
    return t.getAsJsonArray("shape").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
  }

  /** The tensor flattened in row-major order. */
  float[] floats(String name) {
    JsonObject t = entry(name);
    if (!t.get("dtype").getAsString().equals("F32")) {
      throw new IllegalArgumentException(file + ": tensor " + name + " is " + t.get("dtype") + ", expected F32");
    }
    int begin = t.getAsJsonArray("data_offsets").get(0).getAsInt();
    int end = t.getAsJsonArray("data_offsets").get(1).getAsInt();
    float[] out = new float[(end - begin) / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.getFloat(begin + 4 * i);
    }
    return out;
  }

  private JsonObject entry(String name) {
    if (!header.has(name)) {
      throw new IllegalArgumentException(file + ": no tensor " + name + " (has " + header.keySet() + ")");
    }
    return header.getAsJsonObject(name);
  }
}
