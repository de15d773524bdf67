package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.ConstantInitializer;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelKey;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.model.ModelSpec;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TensorTranslator;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The per-executor model cache under Spark: 16 partitions on local[2] (two task threads in one
 * executor JVM), each partition taking its own predictors from {@link ModelCache} and running
 * forwards. Every model must load exactly once in the JVM, and {@code closeAll} (what the
 * shutdown hook runs) must close them.
 */
class ModelCacheSparkTest extends SparkTestBase {
  private static final int PARTITIONS = 16;
  private static final int ROWS = 64;

  /** Runs before SparkTestBase stops the session (JUnit runs a subclass's @AfterAll first). */
  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  /** The tiny CLIP export, when the exporter's models are in the checkout. */
  private static Path tinyClip() {
    Path p = Paths.get(System.getProperty("finerewards.repo.root", "..")).resolve("models/tiny/clip");
    return Files.isRegularFile(p.resolve("manifest.json")) ? p.toAbsolutePath() : null;
  }

  @Test
  void manyPartitionsOnTwoThreadsLoadEachModelOncePerJvm() {
    Path clip = tinyClip();
    ModelRuntime runtime = clip == null ? null : ModelRuntime.from(new PipelineConfigLoader()
        .load(null, List.of("models.clip=\"" + clip + "\"", "models.device=auto")));
    ForwardPartition fn = new ForwardPartition(runtime);
    // Load counts are per JVM and other test classes may have used the same tiny model: start from
    // an empty cache and count the loads this job adds.
    ModelCache.get().closeAll();
    int clipLoadsBefore = clip == null ? 0 : ModelCache.get().loadCount(ForwardPartition.clipSpec(runtime).key());
    int linearLoadsBefore = ModelCache.get().loadCount(ForwardPartition.linearSpec().key());
    Dataset<Long> ids = spark.range(0, ROWS, 1, PARTITIONS);
    assertThat(ids.rdd().getNumPartitions()).isEqualTo(PARTITIONS);

    List<String> results = ids.mapPartitions(fn, Encoders.STRING()).collectAsList();

    // One result per row: "thread|row|linear output|clip max abs error".
    assertThat(results).hasSize(ROWS);
    Set<String> threads = new TreeSet<>();
    for (String r : results) {
      String[] f = r.split("\\|");
      threads.add(f[0]);
      long row = Long.parseLong(f[1]);
      assertThat(Float.parseFloat(f[2])).as("linear output of row %d", row)
          .isEqualTo(0.5f * (row + 1f + 2f));
      if (clip != null) {
        // One forward of the tiny CLIP text tower against its golden: the ExportedModelsLoadTest
        // budget (1e-5; unit vectors, measured 2.1e-7 in ClipTextEmbedderTest), whichever task
        // thread and cached model computed it.
        assertThat(Double.parseDouble(f[3])).as("CLIP text embedding error of row %d", row)
            .isLessThan(1e-5);
      }
    }
    assertThat(threads).as("task threads that ran partitions").hasSizeGreaterThanOrEqualTo(2);

    // local[2]: the driver is the executor JVM, so its cache is the one the tasks used.
    ModelCache cache = ModelCache.get();
    ModelSpec linear = ForwardPartition.linearSpec();
    assertThat(cache.loadCount(linear.key())).isEqualTo(linearLoadsBefore + 1);
    List<Model> models = new ArrayList<>();
    models.add(cache.model(linear));
    if (clip != null) {
      ModelSpec text = ForwardPartition.clipSpec(runtime);
      assertThat(cache.loadCount(text.key())).isEqualTo(clipLoadsBefore + 1);
      models.add(cache.model(text));
    }
    assertThat(cache.loadCount(linear.key())).as("still one load after the driver asked").isEqualTo(linearLoadsBefore + 1);
    assertThat(cache.openLeases(linear.key())).as("every partition closed its predictor").isZero();

    assertThat(cache.closeAll()).isGreaterThanOrEqualTo(models.size());
    for (Model m : models) {
      assertThat(m.getNDManager().isOpen()).as("model %s closed", m.getName()).isFalse();
    }
    assertThat(cache.isLoaded(linear.key())).isFalse();
  }

  /**
   * The partition function: captures only the serializable model runtime config; builds model
   * specs on the executor, takes one predictor per model for the whole partition and closes them
   * at its end.
   */
  static final class ForwardPartition implements MapPartitionsFunction<Long, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final ModelRuntime runtime;

    ForwardPartition(ModelRuntime runtime) {
      this.runtime = runtime;
    }

    static ModelSpec linearSpec() {
      ModelKey key = new ModelKey("spark-test://linear", "linear", Device.cpu().toString(),
          "float32", Map.of());
      return new ModelSpec(key, Device.cpu(), (k, device) -> {
        Model model = Model.newInstance("linear", device, "PyTorch");
        Linear block = Linear.builder().setUnits(1).build();
        block.setInitializer(new ConstantInitializer(0.5f), Parameter.Type.WEIGHT);
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3));
        return model;
      });
    }

    static ModelSpec clipSpec(ModelRuntime runtime) {
      // What a job does: the device from the task's gpu resource (none on local[2]: the CPU).
      List<String> gpus = new ArrayList<>();
      TaskContext tc = TaskContext.get();
      if (tc != null) {
        ResourceInformation info = tc.resources().get("gpu").getOrElse(() -> null);
        if (info != null) {
          gpus.addAll(Arrays.asList(info.addresses()));
        }
      }
      return runtime.torchScript("clip", "text_encoder", gpus, false);
    }

    @Override
    public Iterator<String> call(Iterator<Long> rows) throws Exception {
      List<String> out = new ArrayList<>();
      String thread = Thread.currentThread().getName();
      try (PredictorLease<List<HostTensor>, List<HostTensor>> linear =
              ModelCache.get().predictor(linearSpec(), new TensorTranslator());
          PredictorLease<List<HostTensor>, List<HostTensor>> clip = runtime == null ? null
              : ModelCache.get().predictor(clipSpec(runtime), new TensorTranslator())) {
        Safetensors golden = runtime == null ? null : Safetensors.read(
            runtime.directory("clip").localPath().resolve("golden/text.safetensors"));
        while (rows.hasNext()) {
          long row = rows.next();
          float y = linear.predict(List.of(HostTensor.ofFloats(new float[] {row, 1f, 2f}, 1, 3)))
              .get(0).floats()[0];
          double err = 0;
          if (clip != null) {
            float[] got = clip.predict(List.of(golden.tensor("input_ids"))).get(0).floats();
            float[] want = golden.tensor("text_embeds").floats();
            for (int i = 0; i < want.length; i++) {
              err = Math.max(err, Math.abs(got[i] - want[i]));
            }
          }
          out.add(thread + "|" + row + "|" + y + "|" + err);
        }
        // Keep both task threads busy at once, so the loads really are concurrent.
        Thread.sleep(50);
      }
      return out.iterator();
    }
  }
}
