package ai.finerewards.core.train;

import ai.finerewards.core.clip.ClipTextTokenizer;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.ModelDirectory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Optimiser steps per second of the LoRA trainer on the tiny diffusion model at batch 8 (64x64
 * images, text and VAE encoders included, as the train stage runs them), with peak JVM heap and
 * peak resident memory (VmHWM: heap plus libtorch's native memory). Prints figures; not a timed
 * assertion. Run with {@code mvn -o -q -pl pipeline-core -am test -Pbench
 * -Dtest=TrainBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}; with
 * {@code -Dfinerewards.bench.device=gpu} it runs on the GPU.
 */
@Tag("benchmark")
class TrainBenchmarkTest {
  private static final int BATCH = 8;
  private static final int WARMUP = 3;
  private static final int STEPS = 20;

  @Test
  void stepsPerSecondAtBatch8() throws IOException {
    ModelDirectory md = TinyDiffusion.model();
    Device device = "gpu".equals(System.getProperty("finerewards.bench.device")) ? Device.gpu() : Device.cpu();
    ExampleSet examples = TrainExamples.of(BATCH, 64);
    List<String> prompts = new ArrayList<>();
    float[] images = new float[BATCH * 3 * 64 * 64];
    for (int i = 0; i < BATCH; i++) {
      TrainImages.decodeInto(examples.get(i), 64, 64, images, i * 3 * 64 * 64);
      prompts.add(examples.get(i).prompt());
    }
    OptimizerSettings settings = new OptimizerSettings(9e-6, 0, 1.0,
        new TorchAdamW.Hyper(0.9, 0.999, 1e-8, 1e-2));
    try (LoraTrainer trainer = LoraTrainer.open(md, device, settings, new SeededNoise(1));
        ClipTextTokenizer tok = ClipTextTokenizer.forDiffusion(md)) {
      TrainBatch batch = new TrainBatch(HostTensor.ofFloats(images, BATCH, 3, 64, 64),
          HostTensor.ofLongs(tok.batchIds(prompts), BATCH, tok.maxLength()));
      for (int i = 0; i < WARMUP; i++) {
        trainer.step(List.of(batch));
      }
      resetPeaks();
      long t0 = System.nanoTime();
      double loss = 0;
      for (int i = 0; i < STEPS; i++) {
        loss = trainer.step(List.of(batch)).loss();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(loss).isFinite();
      System.out.printf(Locale.ROOT,
          "train benchmark: tiny diffusion (64x64, LoRA rank %d, %d LoRA matrices) on %s, batch %d:"
              + " %.2f optimiser steps/s (%.1f ms/step, %d steps after %d warm-up); peak heap %d MiB;"
              + " peak RSS (VmHWM, heap + native) %d MiB; %d cores%n",
          trainer.layout().rank(), trainer.layout().matrices().size(), device, BATCH,
          STEPS / seconds, 1000 * seconds / STEPS, STEPS, WARMUP, peakHeap() >> 20, vmHwmKb() >> 10,
          Runtime.getRuntime().availableProcessors());
    }
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
  }

  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** Peak resident set size of this process in KiB (Linux), -1 elsewhere. */
  private static long vmHwmKb() throws IOException {
    var status = Paths.get("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
