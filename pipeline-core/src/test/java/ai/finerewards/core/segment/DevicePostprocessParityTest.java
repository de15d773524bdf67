package ai.finerewards.core.segment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.image.ImageDecoder;
import ai.finerewards.core.image.RgbImage;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TorchScriptModels;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Automatic mask generation on the tiny SAM with post-processing in the exported amg_postprocess
 * graph (the device path) against the Java CPU path (the path of model directories exported before
 * it): the same parts, in the same order, with the same boxes, areas and scores, masks IoU >= 0.99.
 */
class DevicePostprocessParityTest {
  /**
   * Thresholds loosened for the tiny random SAM (its IoU predictions and stability scores are low,
   * see docs/segment-score.md), and box NMS off (threshold 1.0): its masks are large blobs with
   * nearly equal boxes, so NMS would leave one part per image, while this test wants every
   * candidate the filters keep compared (NMS is the same Java code on both paths,
   * AmgPostProcessorGoldenTest checks it). An 8 x 8 grid in batches of 24 points: a batch boundary
   * falls inside a grid row and the last batch is short.
   */
  private static final AmgSettings SETTINGS = new AmgSettings(8, 24, 0.0, 0.05, 0.5, 0.0, 1.0, 4);

  private static PredictorLease<List<HostTensor>, List<HostTensor>> encoder;
  private static PredictorLease<List<HostTensor>, List<HostTensor>> decoder;
  private static PredictorLease<DeviceAmgTranslator.Call, List<MaskCandidate>> deviceDecoder;

  @BeforeAll
  static void open() {
    ModelDirectory sam = TinyModelFixtures.directory("segmenter");
    assertThat(SamAutomaticMaskGenerator.hasDevicePostprocess(sam.manifest())).isTrue();
    encoder = TinyModelFixtures.lease("segmenter", "image_encoder");
    decoder = TinyModelFixtures.lease("segmenter", "mask_decoder");
    deviceDecoder = SamAutomaticMaskGenerator.deviceDecoder(
        TorchScriptModels.spec(sam, "mask_decoder", Device.cpu(), "auto", false),
        TorchScriptModels.spec(sam, SamAutomaticMaskGenerator.POSTPROCESS_COMPONENT, Device.cpu(), "auto", false),
        sam.manifest().dtype(), SETTINGS);
  }

  @AfterAll
  static void close() {
    encoder.close();
    decoder.close();
    deviceDecoder.close();
  }

  private static List<SegmentedPart> parts(RgbImage image, boolean onDevice) throws Exception {
    SamPreprocessor pre = SamPreprocessor.from(TinyModelFixtures.directory("segmenter").manifest());
    SamAutomaticMaskGenerator g = onDevice
        ? new SamAutomaticMaskGenerator(pre, SETTINGS, encoder, null, deviceDecoder)
        : new SamAutomaticMaskGenerator(pre, SETTINGS, encoder, decoder);
    assertThat(g.postprocessesOnDevice()).isEqualTo(onDevice);
    return g.generate(image);
  }

  @Test
  void devicePathGivesTheCpuPathsParts() throws Exception {
    List<RgbImage> images = List.of(
        SamParityTest.goldenImage(TinyModelFixtures.golden("segmenter", "preprocess")),
        ImageDecoder.decode(TinyModelFixtures.shapesPng(56, 40, 3)),
        ImageDecoder.decode(TinyModelFixtures.shapesPng(48, 64, 8)));
    int total = 0;
    for (int n = 0; n < images.size(); n++) {
      List<SegmentedPart> cpu = parts(images.get(n), false);
      List<SegmentedPart> device = parts(images.get(n), true);
      assertThat(cpu).as("parts of image %d", n).isNotEmpty();
      assertThat(device).as("parts of image %d", n).hasSameSizeAs(cpu);
      for (int i = 0; i < cpu.size(); i++) {
        SegmentedPart a = cpu.get(i);
        SegmentedPart b = device.get(i);
        assertThat(new int[] {b.x0(), b.y0(), b.x1(), b.y1()}).as("image %d part %d box", n, i)
            .isEqualTo(new int[] {a.x0(), a.y0(), a.x1(), a.y1()});
        assertThat(b.predictedIou()).as("image %d part %d predicted IoU", n, i).isEqualTo(a.predictedIou());
        int inter = 0;
        int union = 0;
        for (int p = 0; p < a.mask().length; p++) {
          inter += a.mask()[p] && b.mask()[p] ? 1 : 0;
          union += a.mask()[p] || b.mask()[p] ? 1 : 0;
        }
        double iou = union == 0 ? 1.0 : (double) inter / union;
        // Both paths compute torch's CPU bilinear arithmetic (TorchBilinear mirrors it), so the
        // masks are expected equal; 0.99 is the bound for a device whose kernels round
        // otherwise, and the printout shows the measured value.
        System.out.printf("image %d part %d: area %.4f / %.4f, mask IoU %.6f, stability %g / %g%n", n, i,
            a.areaFraction(), b.areaFraction(), iou, a.stability(), b.stability());
        assertThat(iou).as("image %d part %d mask IoU", n, i).isGreaterThanOrEqualTo(0.99);
        // Stability is a ratio of pixel counts: within 1% when the masks are (IoU 0.99).
        assertThat(b.stability()).as("image %d part %d stability", n, i)
            .isCloseTo(a.stability(), org.assertj.core.api.Assertions.within(0.01));
      }
      total += cpu.size();
    }
    assertThat(total).as("parts over all images").isGreaterThan(3 * images.size());
  }
}
