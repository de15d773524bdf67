package ai.finerewards.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** PNG bytes to RGB as PIL's convert("RGB") gives them. */
class ImageDecoderTest {

  static byte[] png(BufferedImage img) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(img, "png", out)).isTrue();
    return out.toByteArray();
  }

  @Test
  void rgbPngRoundTripsExactly() throws Exception {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
    img.setRGB(0, 0, 0x102030);
    img.setRGB(2, 1, 0xfffe01);
    RgbImage rgb = ImageDecoder.decode(png(img));
    assertThat(rgb.width()).isEqualTo(3);
    assertThat(rgb.height()).isEqualTo(2);
    assertThat(new int[] {rgb.get(0, 0, 0), rgb.get(0, 0, 1), rgb.get(0, 0, 2)}).containsExactly(0x10, 0x20, 0x30);
    assertThat(new int[] {rgb.get(2, 1, 0), rgb.get(2, 1, 1), rgb.get(2, 1, 2)}).containsExactly(0xff, 0xfe, 0x01);
  }

  @Test
  void greyIsCopiedToThreeChannelsWithoutGammaConversion() throws Exception {
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setSample(0, 0, 0, 100);
    img.getRaster().setSample(1, 0, 0, 7);
    RgbImage rgb = ImageDecoder.decode(png(img));
    assertThat(Arrays.copyOf(rgb.pixels(), 6)).containsExactly(100, 100, 100, 7, 7, 7);
  }

  @Test
  void alphaIsDroppedNotComposited() throws Exception {
    BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
    img.setRGB(0, 0, 0x20c08040); // alpha 0x20
    RgbImage rgb = ImageDecoder.decode(png(img));
    assertThat(new int[] {rgb.get(0, 0, 0), rgb.get(0, 0, 1), rgb.get(0, 0, 2)}).containsExactly(0xc0, 0x80, 0x40);
  }

  @Test
  void badBytesGiveAClearError() throws Exception {
    assertThatThrownBy(() -> ImageDecoder.decode(null)).isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("no image bytes");
    assertThatThrownBy(() -> ImageDecoder.decode("not a png".getBytes()))
        .isInstanceOf(ImageDecodeException.class).hasMessageContaining("not an image in a known format")
        .hasMessageContaining("6e6f7420");
    byte[] good = png(new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR));
    byte[] truncated = Arrays.copyOf(good, good.length / 2);
    assertThatThrownBy(() -> ImageDecoder.decode(truncated)).isInstanceOf(ImageDecodeException.class);
  }
}
