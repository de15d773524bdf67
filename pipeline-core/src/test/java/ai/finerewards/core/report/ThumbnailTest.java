package ai.finerewards.core.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ThumbnailTest {
  static byte[] png(int w, int h) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, x < w / 2 ? 0xff0000 : 0x0000ff);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void shrinksTheLongerSideAndReportsTheScaleForPartBoxes() throws IOException {
    Thumbnail t = Thumbnail.of(png(512, 384), 128, "x");
    assertThat(t.width()).isEqualTo(128);
    assertThat(t.height()).isEqualTo(96);
    assertThat(t.scale()).isEqualTo(0.25);
    BufferedImage back = ImageIO.read(new ByteArrayInputStream(t.png()));
    assertThat(back.getWidth()).isEqualTo(128);
    // Left half red, right half blue survive the resize (away from the edge between them).
    assertThat(back.getRGB(10, 50) & 0xffffff).isEqualTo(0xff0000);
    assertThat(back.getRGB(118, 50) & 0xffffff).isEqualTo(0x0000ff);
    assertThat(t.dataUri()).startsWith("data:image/png;base64,iVBOR");
  }

  @Test
  void neverEnlargesAndNamesAnUndecodableImage() throws IOException {
    Thumbnail t = Thumbnail.of(png(64, 64), 256, "x");
    assertThat(t.width()).isEqualTo(64);
    assertThat(t.scale()).isEqualTo(1.0);
    assertThatThrownBy(() -> Thumbnail.of(new byte[] {1, 2, 3}, 64, "samples round 0 p #1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("samples round 0 p #1: ");
  }
}
