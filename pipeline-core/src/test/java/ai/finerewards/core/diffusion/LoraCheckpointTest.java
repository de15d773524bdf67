package ai.finerewards.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelError;
import ai.finerewards.core.model.ModelSpec;
import ai.finerewards.core.model.PredictorLease;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA weights in diffusers' layout set into the traced UNet give diffusers' output
 * ({@code unet.safetensors: out_lora_nonzero}), while the base UNet keeps giving {@code out_lora_zero}.
 */
class LoraCheckpointTest {

  @Test
  void loraSetUnetMatchesTheGoldenAndTheBaseStaysUntouched() throws Exception {
    ModelDirectory dir = TinyDiffusion.directory();
    DiffusionModelConfig config = DiffusionModelConfig.from(dir.manifest());
    LoraCheckpoint lora = LoraCheckpoint.fromFile(
        TinyDiffusion.dir().resolve("golden/lora_nonzero.safetensors"), "golden-nonzero", config);
    Safetensors golden = TinyDiffusion.golden("unet.safetensors");
    float[] withLora = forward(DiffusionComponents.unetSpec(dir, Device.cpu(), "auto", lora), golden);
    float[] base = forward(DiffusionComponents.unetSpec(dir, Device.cpu(), "auto", null), golden);
    double errLora = StableDiffusionSamplerParityTest.maxAbs(withLora, golden.tensor("out_lora_nonzero").floats());
    double errBase = StableDiffusionSamplerParityTest.maxAbs(base, golden.tensor("out_lora_zero").floats());
    System.out.printf("LoRA UNet parity (cpu, float32): max abs error %.3g with nonzero LoRA, %.3g base%n", errLora, errBase);
    // One UNet forward, the ExportedModelsLoadTest budget: 1e-5. The outputs are noise predictions of
    // at most 1.02 (ulp 1.2e-7); reordered sums move each of the ~10 layers' outputs by a few ulps, so
    // ~30 ulps (4e-6) is the expected worst and 1e-5 is 84 ulps. The LoRA weights are set into the
    // traced UNet's own LoRA parameters, so both cases run the same graph. Measured on an AVX-512 Xeon:
    // 1.0e-6 with the LoRA and 8.3e-7 base with the kernel pins, 1.1e-6 and 1.1e-6 unpinned.
    assertThat(errLora).isLessThanOrEqualTo(1e-5);
    assertThat(errBase).isLessThanOrEqualTo(1e-5);
    // The nonzero LoRA really changes the output (the test would pass vacuously otherwise).
    assertThat(StableDiffusionSamplerParityTest.maxAbs(withLora, base)).isGreaterThan(1e-3);
  }

  private static float[] forward(ModelSpec spec, Safetensors golden) throws Exception {
    NdCallTranslator translator = new NdCallTranslator(DataType.FLOAT32);
    try (PredictorLease<NdCallTranslator.Call, NDList> p = ModelCache.get().predictor(spec, translator);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDList in = new NDList(nd(m, golden.tensor("sample")), nd(m, golden.tensor("timestep")),
          nd(m, golden.tensor("encoder_hidden_states")));
      return p.predict(new NdCallTranslator.Call(in, m)).singletonOrThrow().toFloatArray();
    }
  }

  private static ai.djl.ndarray.NDArray nd(NDManager m, HostTensor t) {
    return m.create(t.floats(), new Shape(t.shape()));
  }

  @Test
  void aCheckpointDirectoryNamesItsIdAndAWrongFileIsAClearError(@TempDir Path tmp) throws Exception {
    DiffusionModelConfig config = DiffusionModelConfig.from(TinyDiffusion.directory().manifest());
    assertThatThrownBy(() -> LoraCheckpoint.read(tmp, config))
        .isInstanceOf(ModelError.class).hasMessageContaining(tmp.toString()).hasMessageContaining("pytorch_lora_weights.safetensors");
    Files.copy(TinyDiffusion.dir().resolve("golden/lora_nonzero.safetensors"), tmp.resolve(LoraCheckpoint.WEIGHTS_FILE));
    assertThat(LoraCheckpoint.read(tmp, config).id()).startsWith("sha256-").hasSize(19);
    Files.writeString(tmp.resolve(LoraCheckpoint.MANIFEST_FILE), "{\"checkpoint_id\": \"r0-0123456789ab\"}");
    assertThat(LoraCheckpoint.read(tmp, config).id()).isEqualTo("r0-0123456789ab");

    // A file in the wrong layout (the golden UNet tensors) names the offending keys.
    Path wrong = tmp.resolve("wrong");
    Files.createDirectories(wrong);
    Files.copy(TinyDiffusion.dir().resolve("golden/unet.safetensors"), wrong.resolve(LoraCheckpoint.WEIGHTS_FILE));
    assertThatThrownBy(() -> LoraCheckpoint.read(wrong, config))
        .isInstanceOf(ModelError.class).hasMessageContaining("keys not in the model's LoRA table").hasMessageContaining("out_lora_zero");
  }
}
