package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRuntimeTest {
  @TempDir Path tmp;

  @AfterEach
  void closeModels() {
    ModelCache.get().closeAll();
  }

  private static ModelRuntime runtime(String... sets) {
    return ModelRuntime.from(new PipelineConfigLoader().load(null, List.of(sets)));
  }

  @Test
  void survivesJavaSerializationAsPartitionFunctionsNeed() throws Exception {
    ModelRuntime r = runtime("models.clip=/somewhere/clip", "model-cache.local-dir=/x/cache");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(r);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(r);
    }
  }

  @Test
  void aDirectoryOfAnotherFamilyIsRejected() throws Exception {
    Path llm = TestModels.write(tmp.resolve("llm"), TestModels.manifest("llm"));
    ModelRuntime r = runtime("models.clip=\"" + llm + "\"");
    assertThatThrownBy(() -> r.directory("clip"))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining(llm.resolve("manifest.json").toString())
        .hasMessageContaining("expected \"clip\"");
  }

  @Test
  void cpuDeviceAndDtypeFromConfig() throws Exception {
    Path clip = TestModels.write(tmp.resolve("clip"), TestModels.manifest("clip"));
    ModelRuntime r = runtime("models.clip=\"" + clip + "\"", "models.device=cpu",
        "models.dtype=float16");
    assertThat(r.device(List.of("0"))).isEqualTo(Device.cpu());
    assertThatThrownBy(() -> r.torchScript("clip", "encoder", List.of(), false))
        .hasMessageContaining("finerewards.models.dtype = float16")
        .hasMessageContaining("exported as float32");
  }

  @Test
  void tinyClipFromARemoteCopyRunsThroughTheCache() throws Exception {
    Path clip = TestModels.repoRoot().resolve("models/tiny/clip");
    Assumptions.assumeTrue(Files.isDirectory(clip), "exporter tiny models not present");
    ModelRuntime r = runtime(
        "models.clip=\"" + clip.toUri() + "\"",
        "model-cache.local-schemes=[]", // file: goes through Hadoop and is copied, as hdfs: would
        "model-cache.local-dir=\"" + tmp.resolve("cache") + "\"");
    ModelSpec spec = r.torchScript("clip", "text_encoder", List.of(), false);
    assertThat(spec.key().directory()).startsWith(tmp.resolve("cache").toString());
    Safetensors golden = Safetensors.read(clip.resolve("golden/text.safetensors"));
    try (PredictorLease<List<HostTensor>, List<HostTensor>> p =
        ModelCache.get().predictor(spec, new TensorTranslator())) {
      p.model().getNDManager().cap(); // nothing of a predict call may stay on the shared model
      HostTensor out = p.predict(List.of(golden.tensor("input_ids"))).get(0);
      ExportedModelsLoadTest.assertClose(out, golden.tensor("text_embeds"), "text_embeds");
    }
    // A second spec for the same model reuses the copy and the loaded model.
    assertThat(r.torchScript("clip", "text_encoder", List.of(), false)).isEqualTo(spec);
    assertThat(ModelCache.get().loadCount(spec.key())).isEqualTo(1);
  }
}
