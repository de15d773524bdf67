package ai.finerewards.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path tmp;

  /** dtypes.safetensors was written by Python's safetensors (see make_fixture.py beside it). */
  private static Path fixture() throws URISyntaxException {
    return Paths.get(SafetensorsTest.class.getResource("/safetensors/dtypes.safetensors").toURI());
  }

  @Test
  void readsEveryDtypeWrittenByPython() throws Exception {
    Safetensors st = Safetensors.read(fixture());
    assertThat(st.metadata()).containsEntry("writer", "make_fixture.py");
    assertThat(st.entries()).containsOnlyKeys("f32", "f16", "bf16", "i64", "i32", "scalar");

    HostTensor f32 = st.tensor("f32");
    assertThat(f32.shape()).containsExactly(2, 3);
    assertThat(f32.floats()).containsExactly(-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f);
    HostTensor f16 = st.tensor("f16");
    assertThat(f16.dtype()).isEqualTo(HostTensor.DType.FLOAT32);
    assertThat(f16.floats()).containsExactly(-0.5f, -0.25f, 0.0f, 0.25f);
    assertThat(st.tensor("bf16").floats()).containsExactly(-2f, -1f, 0f, 1f);
    assertThat(st.tensor("i64").longs())
        .containsExactly(-7L, 999_999_999_993L, 1_999_999_999_993L, 2_999_999_999_993L,
            3_999_999_999_993L);
    HostTensor i32 = st.tensor("i32");
    assertThat(i32.shape()).containsExactly(3, 2);
    assertThat(i32.ints()).containsExactly(-3, -2, -1, 0, 1, 2);
    HostTensor scalar = st.tensor("scalar");
    assertThat(scalar.shape()).isEmpty();
    assertThat(scalar.floats()).containsExactly(3.25f);
  }

  @Test
  void readsExporterGoldenIdsAsInTheirJson() throws IOException {
    Path golden = Paths.get(System.getProperty("finerewards.repo.root", "."))
        .resolve("models/tiny/clip/golden");
    Assumptions.assumeTrue(Files.isDirectory(golden), "exporter tiny models not present");
    HostTensor ids = Safetensors.read(golden.resolve("text.safetensors")).tensor("input_ids");
    JsonArray rows = JsonParser.parseString(Files.readString(golden.resolve("text.json")))
        .getAsJsonObject().getAsJsonArray("input_ids");
    long[] expected = new long[(int) ids.numel()];
    int k = 0;
    for (var row : rows) {
      for (var v : row.getAsJsonArray()) {
        expected[k++] = v.getAsLong();
      }
    }
    assertThat(ids.shape()).containsExactly(rows.size(), rows.get(0).getAsJsonArray().size());
    assertThat(ids.longs()).containsExactly(expected);
  }

  @Test
  void unknownTensorNamesFileAndKnownTensors() throws Exception {
    Safetensors st = Safetensors.read(fixture());
    assertThatThrownBy(() -> st.tensor("nope"))
        .hasMessageContaining(fixture().toString())
        .hasMessageContaining("no tensor 'nope'")
        .hasMessageContaining("f32");
  }

  @Test
  void truncatedAndMalformedFilesAreRejectedNamingThem() throws Exception {
    byte[] good = Files.readAllBytes(fixture());
    Path truncated = tmp.resolve("truncated.safetensors");
    Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 10));
    assertThatThrownBy(() -> Safetensors.read(truncated))
        .hasMessageContaining("truncated.safetensors")
        .hasMessageContaining("data_offsets");

    Path badHeader = tmp.resolve("bad.safetensors");
    byte[] json = "{not json".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    Files.write(badHeader, b.array());
    assertThatThrownBy(() -> Safetensors.read(badHeader))
        .hasMessageContaining("bad.safetensors")
        .hasMessageContaining("not valid JSON");

    Path tooShort = tmp.resolve("short.safetensors");
    Files.write(tooShort, new byte[] {1, 2});
    assertThatThrownBy(() -> Safetensors.read(tooShort)).hasMessageContaining("short.safetensors");
  }

  @Test
  void halfPrecisionConversionCoversSpecialValues() {
    assertThat(Half.toFloat((short) 0x3c00)).isEqualTo(1.0f);
    assertThat(Half.toFloat((short) 0xc000)).isEqualTo(-2.0f);
    assertThat(Half.toFloat((short) 0x7bff)).isEqualTo(65504f);
    assertThat(Half.toFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    assertThat(Half.toFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Half.toFloat((short) 0x7e00)).isNaN();
    assertThat(Float.floatToIntBits(Half.toFloat((short) 0x8000)))
        .isEqualTo(Float.floatToIntBits(-0.0f));
  }
}
