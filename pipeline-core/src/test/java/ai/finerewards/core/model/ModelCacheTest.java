package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.finerewards.core.io.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModelCacheTest {
  private final ModelCache cache = ModelCache.get();

  @AfterEach
  void closeModels() {
    cache.closeAll();
  }

  private static List<HostTensor> input(float... x) {
    return List.of(HostTensor.ofFloats(x, 1, x.length));
  }

  @Test
  void sixteenConcurrentFirstCallersCauseOneLoad() throws Exception {
    AtomicInteger loaderCalls = new AtomicInteger();
    ModelSpec spec = LinearModels.spec("concurrent", 0.5f, loaderCalls, 300);
    int threads = 16;
    CountDownLatch start = new CountDownLatch(1);
    Set<Object> predictors = ConcurrentHashMap.newKeySet();
    Set<Model> models = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        float v = i;
        results.add(pool.submit(() -> {
          start.await();
          try (PredictorLease<List<HostTensor>, List<HostTensor>> lease =
              cache.predictor(spec, new TensorTranslator())) {
            predictors.add(lease.predictor());
            models.add(lease.model());
            return lease.predict(input(v, 1f, 2f)).get(0).floats();
          }
        }));
      }
      start.countDown();
      for (int i = 0; i < threads; i++) {
        float expected = 0.5f * (i + 3f);
        assertThat(results.get(i).get(30, TimeUnit.SECONDS)).containsExactly(expected, expected);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(loaderCalls.get()).isEqualTo(1);
    assertThat(cache.loadCount(spec.key())).isEqualTo(1);
    assertThat(models).hasSize(1);
    assertThat(predictors).as("one predictor per task thread").hasSize(threads);
    assertThat(cache.openLeases(spec.key())).isZero();
  }

  @Test
  void closeAllClosesModelsAndOpenLeasesAndALaterCallLoadsAgain() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ModelSpec a = LinearModels.spec("close-a", 1f, calls, 0);
    ModelSpec b = LinearModels.spec("close-b", 2f, calls, 0);
    Model modelA = cache.model(a);
    Model modelB = cache.model(b);
    PredictorLease<List<HostTensor>, List<HostTensor>> lease =
        cache.predictor(a, new TensorTranslator());
    assertThat(cache.openLeases(a.key())).isEqualTo(1);
    assertThat(cache.loadedKeys()).contains(a.key(), b.key());

    assertThat(cache.closeAll()).isEqualTo(2);

    assertThat(modelA.getNDManager().isOpen()).isFalse();
    assertThat(modelB.getNDManager().isOpen()).isFalse();
    assertThat(lease.isClosed()).isTrue();
    assertThat(cache.isLoaded(a.key())).isFalse();
    assertThat(cache.loadedKeys()).isEmpty();

    try (PredictorLease<List<HostTensor>, List<HostTensor>> again =
        cache.predictor(a, new TensorTranslator())) {
      assertThat(again.predict(input(1f, 1f, 1f)).get(0).floats()).containsExactly(3f, 3f);
    }
    assertThat(cache.loadCount(a.key())).isEqualTo(2);
    assertThat(calls.get()).isEqualTo(3);
  }

  @Test
  void leaseCloseReleasesOnlyThePredictor() throws Exception {
    ModelSpec spec = LinearModels.spec("lease", 1f, new AtomicInteger(), 0);
    PredictorLease<List<HostTensor>, List<HostTensor>> lease =
        cache.predictor(spec, new TensorTranslator());
    lease.close();
    lease.close(); // idempotent
    assertThat(cache.openLeases(spec.key())).isZero();
    assertThat(cache.isLoaded(spec.key())).isTrue();
    assertThat(cache.model(spec).getNDManager().isOpen()).isTrue();
  }

  @Test
  void predictionsAttachNothingToTheSharedModel() throws Exception {
    ModelSpec spec = LinearModels.spec("leak", 1f, new AtomicInteger(), 0);
    try (PredictorLease<List<HostTensor>, List<HostTensor>> lease =
        cache.predictor(spec, new TensorTranslator())) {
      // A capped manager throws on any new attachment: a translator or forward that left an
      // array on the model's manager would fail here (DJL's leak check).
      lease.model().getNDManager().cap();
      assertThatThrownBy(() -> lease.model().getNDManager().create(1f))
          .as("the cap is in force").isInstanceOf(IllegalStateException.class);
      for (int i = 0; i < 200; i++) {
        assertThat(lease.predict(input(i, 0f, 0f)).get(0).floats()).containsExactly(i, i);
      }
    }
  }

  @Test
  void keyDecidesIdentityNotTheLoader() {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    ModelSpec spec = LinearModels.spec("identity", 1f, first, 0);
    ModelSpec sameKey = new ModelSpec(spec.key(), Device.cpu(), (k, d) -> {
      second.incrementAndGet();
      return LinearModels.newModel(d, 1f);
    });
    ModelSpec otherDtype = new ModelSpec(
        new ModelKey(spec.key().directory(), "linear", "cpu()", "float16", spec.key().options()),
        Device.cpu(), (k, d) -> LinearModels.newModel(d, 1f));
    assertThat(cache.model(spec)).isSameAs(cache.model(sameKey));
    assertThat(cache.model(otherDtype)).isNotSameAs(cache.model(spec));
    assertThat(first.get()).isEqualTo(1);
    assertThat(second.get()).isZero();
  }

  @Test
  void failedLoadNamesTheKeyAndIsRetried() {
    AtomicInteger calls = new AtomicInteger();
    ModelKey key = new ModelKey("test://flaky", "linear", "cpu()", "float32", Map.of());
    ModelSpec spec = new ModelSpec(key, Device.cpu(), (k, d) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("disk went away");
      }
      return LinearModels.newModel(d, 1f);
    });
    assertThatThrownBy(() -> cache.model(spec))
        .isInstanceOf(ModelError.class)
        .hasMessageContaining("test://flaky#linear")
        .hasMessageContaining("disk went away");
    assertThat(cache.loadCount(key)).isZero();
    assertThat(cache.model(spec)).isNotNull();
    assertThat(cache.loadCount(key)).isEqualTo(1);
  }

  @Test
  void shutdownHookClosesModelsWhenTheJvmExits() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Dai.djl.offline=true",
        ShutdownHookMain.class.getName());
    pb.redirectErrorStream(true);
    Path log = Files.createTempFile("shutdown-hook", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
    String out = Files.readString(log);
    Files.deleteIfExists(log);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("loaded 2 models")
        .contains("model cache closed 2 model(s) at JVM shutdown");
  }

  /** Loads two models into the cache and exits without closing them: the hook must. */
  public static final class ShutdownHookMain {
    public static void main(String[] args) throws Exception {
      ModelCache c = ModelCache.get();
      c.model(LinearModels.spec("hook-a", 1f, new AtomicInteger(), 0));
      c.model(LinearModels.spec("hook-b", 1f, new AtomicInteger(), 0));
      System.out.println("loaded " + c.loadedKeys().size() + " models");
      System.out.flush();
    }
  }
}
