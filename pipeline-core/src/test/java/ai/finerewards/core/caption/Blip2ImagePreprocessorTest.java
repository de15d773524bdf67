package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelManifest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BlipImageProcessor parity: the golden pixel_values of two images of other sizes, within one float32 ulp. */
class Blip2ImagePreprocessorTest {

  @Test
  void matchesBlipImageProcessorWithin1e6() {
    Path dir = GoldenImages.tinyModel("captioner");
    Safetensors g = Safetensors.read(dir.resolve("golden/preprocess.safetensors"));
    Blip2ImagePreprocessor pre = Blip2ImagePreprocessor.fromManifest(ModelManifest.read(dir, "captioner"));
    List<RgbImage> images = List.of(
        GoldenImages.fromHwc(g.tensor("image0_uint8")), GoldenImages.fromHwc(g.tensor("image1_uint8")));
    // One image is downscaled (45x61), the other upscaled in height and width (30x24).
    assertThat(images.get(0).width()).isEqualTo(61);
    assertThat(images.get(1).width()).isEqualTo(24);

    HostTensor got = pre.pixelValues(images);
    HostTensor expected = g.tensor("pixel_values");

    assertThat(got.shape()).containsExactly(expected.shape());
    double diff = GoldenImages.maxAbsDiff(got.floats(), expected.floats());
    System.out.printf("BLIP-2 preprocessing: max abs diff %.3g over %d values%n", diff, got.numel());
    // Resizing gives the processor's uint8 pixels exactly; rescale and normalise are elementwise
    // float32 operations in the processor's order, so no sum is reordered and every IEEE machine gives
    // the same bits (measured: 0). One float32 ulp of the largest value (2.1, ulp 2.4e-7) allows a
    // single differently rounded operation (e.g. a fused multiply-add); the old bound, 1e-6, was 4.
    double largest = 0;
    for (float v : expected.floats()) {
      largest = Math.max(largest, Math.abs(v));
    }
    assertThat(diff).isLessThanOrEqualTo(Math.ulp((float) largest));
  }
}
