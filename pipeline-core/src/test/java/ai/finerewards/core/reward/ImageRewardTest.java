package ai.finerewards.core.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The built-in rewards against goldens the Python reference wrote (exporter/tests/test_image_reward_goldens.py). */
class ImageRewardTest {
  private static final Path DIR = Path.of("src/test/resources/image-rewards");

  @Test
  void brightnessAndJpegCompressibilityEqualPythonReference() throws Exception {
    JsonObject goldens = JsonParser.parseString(Files.readString(DIR.resolve("goldens.json"), StandardCharsets.UTF_8))
        .getAsJsonObject();
    assertTrue(goldens.size() >= 6, "goldens.json lists the test images");
    for (Map.Entry<String, com.google.gson.JsonElement> e : goldens.entrySet()) {
      JsonObject expected = e.getValue().getAsJsonObject();
      RgbImage image = ImageDecoder.decode(Files.readAllBytes(DIR.resolve(e.getKey())));
      assertEquals(expected.get("brightness").getAsDouble(), ImageReward.BRIGHTNESS.score(image), 1e-12, e.getKey());
      // Byte-exact: the JPEG Java writes has the size of the one PIL writes.
      assertEquals(expected.get("jpeg_bytes").getAsInt(), ImageReward.jpegBytes(image, ImageReward.JPEG_QUALITY), e.getKey());
      assertEquals(expected.get("jpeg_compressibility").getAsDouble(), ImageReward.JPEG_COMPRESSIBILITY.score(image),
          1e-12, e.getKey());
    }
  }

  @Test
  void extremesAndOrdering() {
    RgbImage black = new RgbImage(8, 8, new byte[8 * 8 * 3]);
    byte[] whitePixels = new byte[8 * 8 * 3];
    java.util.Arrays.fill(whitePixels, (byte) 255);
    RgbImage white = new RgbImage(8, 8, whitePixels);
    assertEquals(0.0, ImageReward.BRIGHTNESS.score(black));
    assertEquals(1.0, ImageReward.BRIGHTNESS.score(white));
    byte[] noisy = new byte[8 * 8 * 3];
    new java.util.Random(1).nextBytes(noisy);
    assertTrue(ImageReward.JPEG_COMPRESSIBILITY.score(black) > ImageReward.JPEG_COMPRESSIBILITY.score(new RgbImage(8, 8, noisy)),
        "a flat image compresses better than noise");
  }

  @Test
  void lookupByColumnName() {
    assertEquals(Optional.of(ImageReward.BRIGHTNESS), ImageReward.byColumn("brightness"));
    assertEquals(Optional.of(ImageReward.JPEG_COMPRESSIBILITY), ImageReward.byColumn("jpeg_compressibility"));
    assertEquals(Optional.empty(), ImageReward.byColumn("Brightness"));
    assertEquals("brightness, jpeg_compressibility", ImageReward.columns());
  }
}
