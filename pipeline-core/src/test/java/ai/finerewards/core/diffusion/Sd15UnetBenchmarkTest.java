package ai.finerewards.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.finerewards.core.model.TorchScriptModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Seconds per UNet call of a random-weight SD 1.5 UNet (real configuration) at 256x256, batch 1, on
 * this CPU, through the same translator the sampler uses. Needs the traced file: run
 * {@code bin/bench-sd15-unet}, which exports it into a temporary directory and runs this test.
 */
@Tag("benchmark")
class Sd15UnetBenchmarkTest {

  @Test
  void secondsPerUnetCall() throws Exception {
    String file = System.getProperty("finerewards.bench.sd15-unet", "");
    Assumptions.assumeTrue(!file.isEmpty() && Files.isRegularFile(Paths.get(file)),
        "set -Dfinerewards.bench.sd15-unet (bin/bench-sd15-unet exports the UNet and sets it)");
    int side = Integer.parseInt(System.getProperty("finerewards.bench.side", "256"));
    Path path = Paths.get(file);
    long t0 = System.nanoTime();
    try (Model model = TorchScriptModels.load(path, Device.cpu(), false);
        Predictor<NdCallTranslator.Call, NDList> p = model.newPredictor(new NdCallTranslator(DataType.FLOAT32));
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      double load = (System.nanoTime() - t0) / 1e9;
      int lat = side / 8;
      NDList in = new NDList(m.randomNormal(new Shape(1, 4, lat, lat)), m.create(new float[] {999f}),
          m.randomNormal(new Shape(1, 77, 768)));
      int calls = 3;
      double[] seconds = new double[calls + 1];
      NDArray out = null;
      for (int i = 0; i <= calls; i++) { // call 0 warms up (TorchScript profiling run)
        try (NDManager step = m.newSubManager()) {
          long s = System.nanoTime();
          out = p.predict(new NdCallTranslator.Call(in, step)).singletonOrThrow();
          seconds[i] = (System.nanoTime() - s) / 1e9;
          assertThat(out.getShape()).isEqualTo(new Shape(1, 4, lat, lat));
        }
      }
      double mean = (seconds[1] + seconds[2] + seconds[3]) / calls;
      System.out.printf("BENCHMARK SD 1.5 UNet (random weights, LoRA rank 4), DJL 0.36 / libtorch CPU, %d cores, %dx%d batch 1:"
              + " load %.1f s, first call %.2f s, then %.2f s per call (mean of %d)%n",
          Runtime.getRuntime().availableProcessors(), side, side, load, seconds[0], mean, calls);
    }
  }
}
