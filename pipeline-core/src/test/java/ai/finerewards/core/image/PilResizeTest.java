package ai.finerewards.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PilResizeTest {

  @Test
  void bicubicDownscaleMatchesPillowExactly() {
    // CLIP golden: PIL bicubic 45x61 (HxW) -> 32x43, uint8, computed by Pillow itself.
    Safetensors g = Safetensors.read(GoldenImages.tinyModel("clip").resolve("golden/preprocess.safetensors"));
    RgbImage raw = GoldenImages.fromHwc(g.tensor("image_uint8"));
    RgbImage expected = GoldenImages.fromHwc(g.tensor("resized_uint8"));

    RgbImage got = PilResize.resize(raw, expected.width(), expected.height(), ResampleFilter.BICUBIC);

    assertThat(got.width()).isEqualTo(43);
    assertThat(got.height()).isEqualTo(32);
    assertThat(got.pixels()).containsExactly(expected.pixels());
  }

  @Test
  void sameSizeIsTheIdentityAndConstantImagesStayConstant() {
    byte[] px = new byte[7 * 5 * 3];
    new Random(1).nextBytes(px);
    RgbImage img = new RgbImage(7, 5, px);
    assertThat(PilResize.resize(img, 7, 5, ResampleFilter.BICUBIC).pixels()).containsExactly(px);

    byte[] flat = new byte[20 * 9 * 3];
    java.util.Arrays.fill(flat, (byte) 200);
    // Normalised weights sum to 1 (to fixed-point rounding): a flat image stays flat, up or down.
    for (int[] size : new int[][] {{3, 4}, {41, 17}, {20, 9 * 2}}) {
      RgbImage r = PilResize.resize(new RgbImage(20, 9, flat), size[0], size[1], ResampleFilter.BICUBIC);
      for (byte b : r.pixels()) {
        assertThat(b & 0xff).isEqualTo(200);
      }
    }
  }

  @Test
  void bicubicOvershootIsClippedToUint8() {
    // A hard black/white edge upscaled with a negative-lobed kernel overshoots: clipped, never wrapped.
    byte[] px = new byte[4 * 1 * 3];
    for (int i = 6; i < 12; i++) {
      px[i] = (byte) 255;
    }
    RgbImage r = PilResize.resize(new RgbImage(4, 1, px), 16, 1, ResampleFilter.BICUBIC);
    int first = r.get(0, 0, 0);
    int last = r.get(15, 0, 0);
    assertThat(first).isEqualTo(0);
    assertThat(last).isEqualTo(255);
  }

  @Test
  void unknownFilterNamesTheSupportedOnes() {
    assertThatThrownBy(() -> ResampleFilter.named("lanczos"))
        .hasMessageContaining("'lanczos'").hasMessageContaining("bicubic");
  }
}
