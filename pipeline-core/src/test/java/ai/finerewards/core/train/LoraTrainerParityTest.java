package ai.finerewards.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelDirectory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trainer against diffusers/torch: golden/lora_train holds three torch AdamW steps on the
 * tiny UNet's LoRA with the same batch, noise and timesteps at every step. The trainer gets the
 * stored draws through its NoiseSource and must give the same losses and LoRA weights.
 */
class LoraTrainerParityTest {
  private static final double TOL = 1e-4;
  private static double worstWeight;

  /** Replays the golden's stored draws at every step. */
  private record GoldenNoise(Safetensors g) implements NoiseSource {
    @Override
    public Draw draw(long step, int micro, int batch, int latentSize, int numTrainTimesteps) {
      return new Draw(g.tensor("encode_noise").floats(), g.tensor("noise").floats(),
          g.tensor("timesteps").longs());
    }
  }

  @Test
  void threeStepsMatchTorchLossesAndWeights() {
    ModelDirectory md = TinyDiffusion.model();
    Safetensors g = Safetensors.read(md.localPath().resolve("golden/lora_train.safetensors"));
    OptimizerSettings settings = new OptimizerSettings(1e-3, 0, 0,
        new TorchAdamW.Hyper(0.9, 0.999, 1e-8, 0.01));
    float[] goldenLosses = g.tensor("losses").floats();
    TrainBatch batch = new TrainBatch(g.tensor("images"), g.tensor("input_ids"));
    try (LoraTrainer trainer = LoraTrainer.open(md, Device.cpu(), settings, new GoldenNoise(g))) {
      LoraLayout layout = trainer.layout();
      assertClose("LoRA before training", trainer.loraValues(), layout, g, "step0/");
      Map<String, float[]> frozenBefore = frozen(trainer, layout);
      for (int k = 1; k <= 3; k++) {
        StepResult r = trainer.step(List.of(batch));
        assertThat(r.step()).isEqualTo(k);
        assertThat(r.loss()).as("loss of step %d", k).isCloseTo(goldenLosses[k - 1],
            org.assertj.core.data.Offset.offset(TOL));
        worstWeight = 0;
        assertClose("LoRA after step " + k, trainer.loraValues(), layout, g, "step" + k + "/");
        System.out.printf(java.util.Locale.ROOT,
            "lora parity step %d: loss java %.9f torch %.9f (|diff| %.2e); LoRA max |diff| %.2e%n",
            k, r.loss(), goldenLosses[k - 1], Math.abs(r.loss() - goldenLosses[k - 1]), worstWeight);
      }
      // The update moved the weights (B started at zero), by more than the tolerance.
      float[][] after = trainer.loraValues();
      double moved = 0;
      for (int i = 0; i < after.length; i++) {
        float[] before = g.tensor("step0/" + layout.matrices().get(i).diffusersKey()).floats();
        for (int k = 0; k < before.length; k++) {
          moved = Math.max(moved, Math.abs(after[i][k] - before[k]));
        }
      }
      assertThat(moved).as("largest LoRA change over 3 steps").isGreaterThan(10 * TOL);
      Map<String, float[]> frozenAfter = frozen(trainer, layout);
      assertThat(frozenAfter.keySet()).isEqualTo(frozenBefore.keySet()).isNotEmpty();
      for (String name : frozenBefore.keySet()) {
        assertThat(frozenAfter.get(name)).as("frozen parameter %s", name)
            .isEqualTo(frozenBefore.get(name));
      }
    }
  }

  private static Map<String, float[]> frozen(LoraTrainer trainer, LoraLayout layout) {
    var lora = layout.matrices().stream().map(LoraLayout.Matrix::torchscriptName).toList();
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : trainer.unet().getBlock().getParameters()) {
      if (!lora.contains(p.getKey())) {
        NDArray a = p.getValue().getArray();
        out.put(p.getKey(), a.toFloatArray());
      }
    }
    return out;
  }

  private static void assertClose(String what, float[][] actual, LoraLayout layout, Safetensors g,
      String prefix) {
    assertThat(actual.length).isEqualTo(layout.matrices().size());
    for (int i = 0; i < actual.length; i++) {
      String key = layout.matrices().get(i).diffusersKey();
      HostTensor expected = g.tensor(prefix + key);
      float[] e = expected.floats();
      double worst = 0;
      for (int k = 0; k < e.length; k++) {
        worst = Math.max(worst, Math.abs(actual[i][k] - e[k]));
      }
      assertThat(worst).as("%s: max |java - torch| of %s", what, key).isLessThanOrEqualTo(TOL);
      worstWeight = Math.max(worstWeight, worst);
    }
  }
}
