package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.finerewards.core.image.GoldenImages;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.config.ModelCacheConfig;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The cache of a decoding run on the tiny captioner's {@code lm_cached.pt}: a prefill from an empty
 * cache and a step on the golden past give the golden argmax, the past grows by the new positions
 * and stays native, and closing the run frees it (also when 200 runs go by).
 */
class KvCacheTest {
  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  private static ModelDirectory dir() {
    return ModelDirectory.resolve(GoldenImages.tinyModel("captioner").toString(), "captioner",
        ModelCacheConfig.defaults(), new Configuration());
  }

  private static long[] argmaxRows(HostTensor logits) {
    int rows = (int) logits.shape()[0];
    int v = (int) logits.shape()[1];
    long[] out = new long[rows];
    for (int r = 0; r < rows; r++) {
      for (int k = 1; k < v; k++) {
        if (logits.floats()[r * v + k] > logits.floats()[r * v + (int) out[r]]) {
          out[r] = k;
        }
      }
    }
    return out;
  }

  @Test
  void prefillAndStepGiveTheGoldenIdsAndTheCacheGrows() throws Exception {
    ModelDirectory d = dir();
    Safetensors lm = Safetensors.read(d.localPath().resolve("golden/lm.safetensors"));
    Safetensors step = Safetensors.read(d.localPath().resolve("golden/lm_cached.safetensors"));
    HostTensor embeds = lm.tensor("inputs_embeds"); // [2, Q + 1, H]
    HostTensor logits = lm.tensor("logits"); // [2, Q + 1, V]
    int rows = (int) logits.shape()[0];
    int t = (int) logits.shape()[1];
    int v = (int) logits.shape()[2];
    float[] last = new float[rows * v];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(logits.floats(), (r * t + t - 1) * v, last, r * v, v);
    }
    try (PredictorLease<KvStepTranslator.Step, long[]> p = ModelCache.get().predictor(
        TorchScriptModels.spec(d, "lm_cached", Device.cpu(), "auto", false), KvStepTranslator.forDtype("float32"));
        KvCache cache = KvCache.empty(p, rows, 2, 4, 8, DataType.FLOAT32)) {
      assertThat(cache.length()).isZero();
      assertThat(p.predict(new KvStepTranslator.Step(embeds, cache)))
          .containsExactly(argmaxRows(HostTensor.ofFloats(last, rows, v)));
      assertThat(cache.length()).isEqualTo(t);
      List<NDArray> first = new ArrayList<>(cache.past());
      HostTensor column = step.tensor("inputs_embeds");
      long[] ids = p.predict(new KvStepTranslator.Step(column, cache));
      assertThat(cache.length()).isEqualTo(t + 1);
      assertThat(first).allMatch(NDArray::isReleased);
      // The step's ids equal a prefill over the whole t + 1 positions from an empty cache.
      int h = (int) embeds.shape()[2];
      float[] whole = new float[rows * (t + 1) * h];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(embeds.floats(), r * t * h, whole, r * (t + 1) * h, t * h);
        System.arraycopy(column.floats(), r * h, whole, (r * (t + 1) + t) * h, h);
      }
      try (KvCache fresh = KvCache.empty(p, rows, 2, 4, 8, DataType.FLOAT32)) {
        assertThat(ids).containsExactly(
            p.predict(new KvStepTranslator.Step(HostTensor.ofFloats(whole, rows, t + 1, h), fresh)));
      }
    }
    try (PredictorLease<KvStepTranslator.Step, long[]> p = ModelCache.get().predictor(
        TorchScriptModels.spec(d, "lm_cached", Device.cpu(), "auto", false), KvStepTranslator.forDtype("float32"));
        KvCache cache = KvCache.empty(p, rows, 2, 4, 8, DataType.FLOAT32)) {
      // Fill the cache with the golden past (a prefill of T=0 new positions is not a call we make;
      // the golden past came from eager PyTorch), through the graph's own input path.
      List<NDArray> past = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        for (String part : List.of("key", "value")) {
          past.add(TensorTranslator.toNd(p.model().getNDManager(), step.tensor("past_" + part + "_" + i),
              DataType.FLOAT32));
        }
      }
      cache.advance(new ai.djl.ndarray.NDList(past));
      long[] ids = p.predict(new KvStepTranslator.Step(step.tensor("inputs_embeds"), cache));
      assertThat(ids).containsExactly(argmaxRows(step.tensor("last_logits")));
    }
  }

  /**
   * The golden step's logits through the cache equal lm.pt's on the whole sequence (golden
   * {@code uncached_last_logits}). Both are the same float32 sums blocked differently: each of the
   * 2 layers moves a value by a few ulps (logits below 4 here, ulp 4.8e-7 at most), so one forward
   * stays within ~10 ulps (largest logit 3.63); 1e-5 is the one-forward budget of
   * ExportedModelsLoadTest. Measured with the surefire pins: 1.3e-6.
   */
  @Test
  void cachedStepLogitsEqualTheUncachedForward() throws Exception {
    ModelDirectory d = dir();
    Safetensors step = Safetensors.read(d.localPath().resolve("golden/lm_cached.safetensors"));
    try (PredictorLease<KvLogitsTranslator.Call, HostTensor> p = ModelCache.get().predictor(
        TorchScriptModels.spec(d, "lm_cached", Device.cpu(), "auto", false), KvLogitsTranslator.forDtype("float32"));
        KvCache cache = KvCache.empty(p, 2, 2, 4, 8, DataType.FLOAT32)) {
      List<NDArray> past = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        for (String part : List.of("key", "value")) {
          past.add(TensorTranslator.toNd(p.model().getNDManager(), step.tensor("past_" + part + "_" + i),
              DataType.FLOAT32));
        }
      }
      cache.advance(new ai.djl.ndarray.NDList(past));
      long before = cache.length();
      float[] got = p.predict(new KvLogitsTranslator.Call(step.tensor("inputs_embeds"), cache, false)).floats();
      assertThat(cache.length()).as("a call without advance leaves the cache as it was").isEqualTo(before);
      float[] want = step.tensor("uncached_last_logits").floats();
      float worst = 0;
      for (int k = 0; k < want.length; k++) {
        worst = Math.max(worst, Math.abs(got[k] - want[k]));
      }
      System.out.printf("captioner cached step vs uncached forward: max |diff| %.3g%n", worst);
      assertThat(worst).isLessThanOrEqualTo(1e-5f);
    }
  }

  @Test
  void closedRunsFreeTheirCaches() throws Exception {
    ModelDirectory d = dir();
    HostTensor embeds = Safetensors.read(d.localPath().resolve("golden/lm.safetensors")).tensor("inputs_embeds");
    try (PredictorLease<KvStepTranslator.Step, long[]> p = ModelCache.get().predictor(
        TorchScriptModels.spec(d, "lm_cached", Device.cpu(), "auto", false), KvStepTranslator.forDtype("float32"))) {
      List<NDArray> seen = new ArrayList<>();
      for (int run = 0; run < 200; run++) {
        try (KvCache cache = KvCache.empty(p, 2, 2, 4, 8, DataType.FLOAT32)) {
          p.predict(new KvStepTranslator.Step(embeds, cache));
          seen.addAll(cache.past());
        }
      }
      assertThat(seen).hasSize(800).allMatch(NDArray::isReleased);
    }
  }
}
