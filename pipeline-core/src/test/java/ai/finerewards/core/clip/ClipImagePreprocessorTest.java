package ai.finerewards.core.clip;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelManifest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CLIPImageProcessor parity: shortest-edge resize (uint8, exact), center crop, normalise (one float32 ulp). */
class ClipImagePreprocessorTest {

  @Test
  void matchesClipImageProcessor() {
    Path dir = GoldenImages.tinyModel("clip");
    Safetensors g = Safetensors.read(dir.resolve("golden/preprocess.safetensors"));
    ClipImagePreprocessor pre = ClipImagePreprocessor.fromManifest(ModelManifest.read(dir, "clip"));
    RgbImage raw = GoldenImages.fromHwc(g.tensor("image_uint8"));

    RgbImage resized = pre.resize(raw);
    assertThat(resized.pixels()).containsExactly(GoldenImages.fromHwc(g.tensor("resized_uint8")).pixels());

    HostTensor got = pre.pixelValues(List.of(raw));
    HostTensor expected = g.tensor("pixel_values");
    assertThat(got.shape()).containsExactly(expected.shape());
    double diff = GoldenImages.maxAbsDiff(got.floats(), expected.floats());
    System.out.printf("CLIP preprocessing: max abs diff %.3g%n", diff);
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
