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

/** CLIPImageProcessor parity: shortest-edge resize (uint8, exact), center crop, normalise (1e-6). */
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
    assertThat(diff).isLessThanOrEqualTo(1e-6);
  }
}
