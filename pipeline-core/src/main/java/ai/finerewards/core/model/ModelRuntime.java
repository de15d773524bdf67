package ai.finerewards.core.model;

import ai.djl.Device;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * What an executor needs to get a model: the {@code models} and {@code model-cache} sections.
 * Serializable, so a partition function captures it and builds specs on the executor:
 *
 * <pre>{@code
 * List<String> gpus = ...; // TaskContext.get().resources().get("gpu") addresses, or empty
 * ModelSpec unet = runtime.torchScript("diffusion", "unet", gpus, false);
 * try (var p = ModelCache.get().predictor(unet, TensorTranslator.forDtype(...))) { ... }
 * }</pre>
 *
 * <p>Remote model directories are read with a Hadoop {@code Configuration} built on the executor
 * (core-site.xml and HADOOP_CONF_DIR there supply hdfs/s3a settings and credentials).
 */
public record ModelRuntime(ModelsConfig models, ModelCacheConfig cache) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** From the resolved configuration root. */
  public static ModelRuntime from(Config root) {
    return new ModelRuntime(
        ModelsConfig.from(PipelineConfigLoader.section(root, ModelsConfig.SECTION)),
        ModelCacheConfig.from(PipelineConfigLoader.section(root, ModelCacheConfig.SECTION)));
  }

  /** The family's model directory, local (copied once per JVM if remote) and checked. */
  public ModelDirectory directory(String family) {
    return ModelDirectory.resolve(models.directory(family), family, cache, new Configuration());
  }

  /**
   * The device for a task with these GPU addresses, under finerewards.models.device. Every task
   * asks this before it runs a model (it starts the engine), so this is where the JVM's libtorch
   * libtorch (see {@link Libtorch}) and thread counts are set from the configuration, once per JVM
   * (see {@link EngineThreads}), and the model cache's device memory budget
   * ({@link ModelCache#setBudget}).
   */
  public Device device(List<String> gpuAddresses) {
    models.libtorch().apply();
    models.threads().apply();
    if (cache != null) { // null for the engine report (finerewards doctor), which loads no model
      ModelCache.get().setBudget(cache.deviceMemoryBudget());
    }
    return Devices.choose(models.device(), gpuAddresses);
  }

  /** The cache spec of one TorchScript component of the family's model directory. */
  public ModelSpec torchScript(
      String family, String component, List<String> gpuAddresses, boolean trainParam) {
    return TorchScriptModels.spec(
        directory(family), component, device(gpuAddresses), models.dtype(), trainParam);
  }
}
