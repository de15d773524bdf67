package ai.finerewards.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.finerewards.core.diffusion.scheduler.SchedulerConfig;
import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Bad settings are rejected before any work; noise, pixels and PNG bytes are well defined. */
class SamplerInputsTest {

  @Test
  void settingsOutOfRangeAreRejectedWithTheirName() {
    assertThatThrownBy(() -> new GenerationSettings("dpmsolver++", 0, 7.5, 64, 64, ""))
        .hasMessageContaining("steps = 0");
    assertThatThrownBy(() -> new GenerationSettings("dpmsolver++", 10, 0.5, 64, 64, ""))
        .hasMessageContaining("guidance scale = 0.5");
    assertThatThrownBy(() -> new GenerationSettings("dpmsolver++", 10, Double.NaN, 64, 64, ""))
        .hasMessageContaining("guidance scale = NaN");
    assertThatThrownBy(() -> new GenerationSettings("dpmsolver++", 10, 7.5, 60, 64, ""))
        .hasMessageContaining("height = 60").hasMessageContaining("multiple of 8");
    assertThatThrownBy(() -> new GenerationSettings("dpmsolver++", 10, 7.5, 64, 8192, ""))
        .hasMessageContaining("width = 8192");
    assertThatThrownBy(() -> new GenerationSettings("lms", 10, 7.5, 64, 64, ""))
        .hasMessageContaining("scheduler \"lms\"");
  }

  @Test
  void aSizeTheUnetCannotTakeFailsBeforeAnyModelCall() {
    AtomicInteger calls = new AtomicInteger();
    ComponentCall counting = (inputs, target) -> {
      calls.incrementAndGet();
      throw new AssertionError("no model call expected");
    };
    DiffusionModelConfig config = DiffusionModelConfig.from(TinyDiffusion.directory().manifest());
    StableDiffusionSampler sampler = new StableDiffusionSampler(counting, counting, counting, null,
        SchedulerConfig.empty(), config, Device.cpu());
    // The tiny UNet halves the latents once: sides must be multiples of 16 pixels.
    GenerationSettings settings = new GenerationSettings("ddim", 2, 7.5, 72, 64, "");
    assertThatThrownBy(() -> sampler.generate(settings, List.of(SampleRequest.seeded("a", 1)), StepListener.NONE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("height = 72").hasMessageContaining("multiple of 16");
    assertThat(calls).hasValue(0);
  }

  @Test
  void noiseMatchesTorchRandnForTheSeed() {
    // torch 2.7.1: torch.randn((1,4,8,8), generator=torch.Generator().manual_seed(s)).flatten()
    // Same uniforms bit for bit; the Box-Muller value r cos(theta) differs because torch rounds theta =
    // 2 pi u2 and the float32 log/sqrt/cos its own way: at most one ulp of theta (< 8: 4.8e-7) times r,
    // plus a few ulps of r, absolute errors not relative to the value (cos near zero keeps r's error).
    // r = sqrt(-2 log u1) is at most 5.8 (u1 >= 2^-24), so the bound is 5.8 * (4.8e-7 + 3 * 2.4e-7)
    // ~ 7e-6 in the worst tail and 1.8e-6 at r ~ 1.5. Measured: 9.5e-7 (8 ulps of 1.52); 1.3e-7 on
    // 0.042 (34 of its ulps, one ulp of its radius). 1e-5 covers the worst tail with 40% to spare;
    // a value from a wrong uniform or pairing is off by O(1).
    org.assertj.core.data.Offset<Float> tol = org.assertj.core.data.Offset.offset(1e-5f);
    float[] a = TorchNoise.randn(813557689402105912L, 256);
    assertThat(new float[] {a[0], a[1], a[2], a[3], a[254], a[255]}).containsExactly(
        new float[] {-1.425483226776123f, 1.5194182395935059f, 1.4741636514663696f, 2.074873924255371f,
            -0.745969831943512f, 1.571488857269287f},
        tol);
    float[] b = TorchNoise.randn(-8096139828725288908L, 256);
    assertThat(b[0]).isCloseTo(0.0418490469455719f, tol);
    // 36 values is not a multiple of 16: torch redraws the last 16 (torch.randn((1,4,3,3)), seed 7).
    float[] c = TorchNoise.randn(7L, 36);
    assertThat(new float[] {c[33], c[34], c[35]}).containsExactly(
        new float[] {0.1577119082212448f, 0.39574092626571655f, -1.3677396774291992f}, tol);
  }

  @Test
  void pixelsRoundHalfToEvenAndPngIsDeterministicAndLossless() throws Exception {
    // 0.5/255 * 255 = 0.5 rounds to 0 (numpy's round), 1.5/255 to 2; CHW with 1x2 pixels.
    byte[] rgb = StableDiffusionSampler.toRgb(new float[] {0.5f / 255f, 1.5f / 255f, 1f, 0f, 0.2f, 0.8f}, 0, 1, 2);
    assertThat(rgb).containsExactly(0, (byte) 255, (byte) 51, 2, 0, (byte) 204);

    byte[] pixels = new byte[16 * 8 * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 37);
    }
    byte[] png = PngEncoder.encodeRgb(pixels, 16, 8);
    assertThat(PngEncoder.encodeRgb(pixels.clone(), 16, 8)).isEqualTo(png);
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(img.getWidth()).isEqualTo(16);
    assertThat(img.getHeight()).isEqualTo(8);
    int p = img.getRGB(5, 3);
    int k = (3 * 16 + 5) * 3;
    assertThat(new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff})
        .containsExactly(pixels[k] & 0xff, pixels[k + 1] & 0xff, pixels[k + 2] & 0xff);
  }
}
