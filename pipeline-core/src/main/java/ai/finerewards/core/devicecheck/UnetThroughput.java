package ai.finerewards.core.devicecheck;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.cuda.CudaUtils;
import ai.finerewards.core.diffusion.NdCallTranslator;
import ai.finerewards.core.model.TorchScriptModels;
import java.nio.file.Path;

/**
 * Images per second of a traced SD 1.x UNet called as the generate stage calls it (the same
 * translator, one call per denoising step), for part (c) of the device check. The Python side
 * (bin/gpu-check.d/sd15_unet.py) times the same file with the same shapes, so the two figures
 * compare the Java path with PyTorch on one machine.
 *
 * <p>Each call ends by reading one output element to the host, which waits for the device: without
 * it the loop would time kernel launches, not kernels. Peak memory is the device's used memory
 * (cudaMemGetInfo, as nvidia-smi shows it) sampled after every call, on the CPU zero.
 *
 * @param side image side in pixels (latents are side / 8)
 * @param batch images per UNet call
 * @param steps calls timed (denoising steps)
 * @param loadSeconds time to load the file onto the device
 * @param firstCallSeconds the first call (TorchScript's profiling run, cuDNN's algorithm search)
 * @param imagesPerSecond batch / mean seconds per step / steps
 * @param peakUsedMiB peak device memory in use, MiB (0 on the CPU)
 */
public record UnetThroughput(int side, int batch, int steps, double loadSeconds, double firstCallSeconds,
    double secondsPerStep, double imagesPerSecond, long peakUsedMiB) {

  /** Loads {@code file} on {@code device} and times {@code steps} calls after two warm-up calls. */
  public static UnetThroughput measure(Path file, Device device, int side, int batch, int steps) throws Exception {
    long t0 = System.nanoTime();
    try (Model model = TorchScriptModels.load(file, device, false);
        Predictor<NdCallTranslator.Call, NDList> p = model.newPredictor(new NdCallTranslator(DataType.FLOAT32));
        NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
      double load = (System.nanoTime() - t0) / 1e9;
      int lat = side / 8;
      m.getEngine().setRandomSeed(0);
      NDArray sample = m.randomNormal(new Shape(batch, 4, lat, lat));
      NDArray text = m.randomNormal(new Shape(batch, 77, 768));
      long peak = 0;
      double first = 0;
      double timed = 0;
      for (int i = -2; i < steps; i++) { // calls -2 and -1 warm up
        float t = 999f - Math.max(i, 0) * (999f / steps);
        float[] ts = new float[batch];
        java.util.Arrays.fill(ts, t);
        try (NDManager step = m.newSubManager()) {
          NDArray timestep = step.create(ts);
          long s = System.nanoTime();
          NDArray out = p.predict(new NdCallTranslator.Call(new NDList(sample, timestep, text), step)).singletonOrThrow();
          out.get(0, 0, 0, 0).getFloat(); // waits for the device
          double sec = (System.nanoTime() - s) / 1e9;
          if (i == -2) {
            first = sec;
          } else if (i >= 0) {
            timed += sec;
          }
          if (!out.getShape().equals(new Shape(batch, 4, lat, lat))) {
            throw new IllegalStateException("UNet output shape " + out.getShape() + ", expected (" + batch + ", 4, "
                + lat + ", " + lat + ")");
          }
        }
        if (device.isGpu()) {
          peak = Math.max(peak, CudaUtils.getGpuMemory(device).getUsed());
        }
      }
      double perStep = timed / steps;
      return new UnetThroughput(side, batch, steps, load, first, perStep, batch / (perStep * steps), peak >> 20);
    }
  }

  @Override
  public String toString() {
    return String.format("JAVA sd15-unet %dx%d batch %d, %d steps: load %.1f s, first call %.2f s, %.4f s per step,"
        + " %.3f images/s, peak device memory used %d MiB", side, side, batch, steps, loadSeconds, firstCallSeconds,
        secondsPerStep, imagesPerSecond, peakUsedMiB);
  }
}
