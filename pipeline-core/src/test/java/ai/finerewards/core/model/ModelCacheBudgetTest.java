package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.io.HostTensor;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The device memory budget: LRU eviction of idle models, pinned leases, over-budget loads, release. */
class ModelCacheBudgetTest {
  private static final long MB = 1L << 20;
  private final ModelCache cache = ModelCache.get();

  @AfterEach
  void reset() {
    cache.closeAll();
    cache.setBudget(DeviceMemoryBudget.UNLIMITED);
  }

  /** A real DJL Linear model declared as {@code sizeMb} MiB (the budget counts declared sizes). */
  private static ModelSpec spec(String name, long sizeMb) {
    ModelKey key = new ModelKey("test://budget-" + name, "linear", Device.cpu().toString(), "float32", Map.of());
    return new ModelSpec(key, Device.cpu(), (k, d) -> LinearModels.newModel(d, 1f), sizeMb * MB);
  }

  /** Takes and closes one predictor, as a partition does. */
  private void use(ModelSpec spec) throws Exception {
    try (PredictorLease<List<HostTensor>, List<HostTensor>> p = cache.predictor(spec, new TensorTranslator())) {
      assertThat(p.predict(List.of(HostTensor.ofFloats(new float[] {1, 2, 3}, 1, 3))).get(0).floats())
          .containsExactly(6f, 6f);
    }
  }

  @Test
  void loadsPastTheBudgetEvictTheLeastRecentlyUsedIdleModel() throws Exception {
    cache.setBudget(250 * MB);
    ModelSpec a = spec("lru-a", 100);
    ModelSpec b = spec("lru-b", 100);
    ModelSpec c = spec("lru-c", 100);
    ModelCache.Stats before = cache.stats();
    use(a);
    use(b);
    use(a); // a is now more recent than b
    use(c); // 300 MiB > 250: b (least recently used, idle) goes
    assertThat(cache.isLoaded(a.key())).isTrue();
    assertThat(cache.isLoaded(b.key())).isFalse();
    assertThat(cache.isLoaded(c.key())).isTrue();
    assertThat(cache.evictionCount(b.key())).isEqualTo(1);
    assertThat(cache.residentBytes("cpu()")).isEqualTo(200 * MB);
    use(b); // back again: a is now the least recently used
    assertThat(cache.loadCount(b.key())).isEqualTo(2);
    assertThat(cache.isLoaded(a.key())).isFalse();
    ModelCache.Stats d = cache.stats().since(before);
    assertThat(d.loads()).isEqualTo(4);
    assertThat(d.evictions()).isEqualTo(2);
    assertThat(d.overBudgetLoads()).isZero();
  }

  @Test
  void modelsWithOpenLeasesAreNeverEvictedAndTheLoadGoesOverBudget() throws Exception {
    cache.setBudget(150 * MB);
    ModelSpec a = spec("pinned-a", 100);
    ModelSpec b = spec("pinned-b", 100);
    ModelCache.Stats before = cache.stats();
    try (PredictorLease<List<HostTensor>, List<HostTensor>> held = cache.predictor(a, new TensorTranslator())) {
      use(b);
      assertThat(cache.isLoaded(a.key())).as("leased: pinned").isTrue();
      assertThat(held.model().getNDManager().isOpen()).isTrue();
      assertThat(cache.residentBytes("cpu()")).isEqualTo(200 * MB);
      assertThat(cache.stats().since(before).overBudgetLoads()).isEqualTo(1);
    }
    // Both idle now, a used last (its lease closed after b's): a 50 MiB load evicts only b.
    use(spec("pinned-c", 50));
    assertThat(cache.isLoaded(b.key())).isFalse();
    assertThat(cache.isLoaded(a.key())).isTrue();
    assertThat(cache.residentBytes("cpu()")).isEqualTo(150 * MB);
  }

  @Test
  void aModelLargerThanTheBudgetLoadsAloneAfterEveryIdleModelLeft() throws Exception {
    cache.setBudget(150 * MB);
    ModelSpec small = spec("alone-small", 10);
    ModelSpec big = spec("alone-big", 400);
    use(small);
    ModelCache.Stats before = cache.stats();
    use(big);
    assertThat(cache.isLoaded(small.key())).isFalse();
    assertThat(cache.loadedKeys()).containsExactly(big.key());
    assertThat(cache.stats().since(before).overBudgetLoads()).isEqualTo(1);
  }

  @Test
  void releaseClosesIdleModelsNowAndLeasedOnesWhenTheirLastLeaseCloses() throws Exception {
    ModelSpec idle = spec("release-idle", 1);
    ModelSpec leased = spec("release-leased", 1);
    ModelSpec kept = spec("release-kept", 1);
    use(idle);
    use(kept);
    PredictorLease<List<HostTensor>, List<HostTensor>> held = cache.predictor(leased, new TensorTranslator());
    Model heldModel = held.model();
    ModelCache.Stats before = cache.stats();
    int matched = cache.release(k -> !k.equals(kept.key()) && k.directory().startsWith("test://budget-release-"), "test");
    assertThat(matched).isEqualTo(2);
    assertThat(cache.isLoaded(idle.key())).isFalse();
    assertThat(cache.isLoaded(leased.key())).as("in use until its lease closes").isTrue();
    held.close();
    assertThat(cache.isLoaded(leased.key())).isFalse();
    assertThat(heldModel.getNDManager().isOpen()).isFalse();
    assertThat(cache.isLoaded(kept.key())).isTrue();
    assertThat(cache.evictionCount(leased.key())).isEqualTo(1);
    assertThat(cache.stats().since(before).releases()).isEqualTo(2);
    assertThat(cache.stats().since(before).evictions()).as("budget evictions").isZero();
  }

  @Test
  void budgetsAreCountedPerDeviceAndUnknownSizesNeverEvict() throws Exception {
    cache.setBudget(1);
    ModelSpec unknown = new ModelSpec(new ModelKey("test://budget-unknown", "linear", "cpu()", "float32", Map.of()),
        Device.cpu(), (k, d) -> LinearModels.newModel(d, 1f));
    use(unknown);
    use(spec("unknown-other", 0));
    assertThat(cache.isLoaded(unknown.key())).isTrue();
    assertThat(cache.residentBytes("gpu(0)")).isZero();
  }

  @Test
  void concurrentTasksUnderATightBudgetNeitherDeadlockNorLoseModels() throws Exception {
    cache.setBudget(150 * MB); // room for one of the 100 MiB models at a time when idle
    List<ModelSpec> specs = List.of(spec("mt-a", 100), spec("mt-b", 100), spec("mt-c", 100), spec("mt-d", 100));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          java.util.Random random = new java.util.Random(seed);
          for (int i = 0; i < 40; i++) {
            use(specs.get(random.nextInt(specs.size())));
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS); // a deadlock fails here
      }
    } finally {
      pool.shutdownNow();
    }
    for (ModelSpec s : specs) {
      assertThat(cache.openLeases(s.key())).isZero();
    }
    // Every model closed is subtracted: what stays counted is exactly what is loaded.
    long loaded = specs.stream().filter(s -> cache.isLoaded(s.key())).count();
    assertThat(cache.residentBytes("cpu()")).isEqualTo(loaded * 100 * MB);
  }

  @Test
  void configTakesAutoUnlimitedAndHoconSizesAndRejectsTheRestNamingTheKey() {
    assertThat(budget("auto")).isEqualTo(DeviceMemoryBudget.AUTO);
    assertThat(budget("unlimited")).isEqualTo(DeviceMemoryBudget.UNLIMITED);
    assertThat(budget("12g")).isEqualTo(12L << 30);
    assertThat(budget("512m")).isEqualTo(512L << 20);
    assertThat(budget("2500000000")).isEqualTo(2_500_000_000L);
    for (String bad : List.of("0", "-1g", "lots", "12 parsecs")) {
      assertThatThrownBy(() -> budget(bad)).isInstanceOf(ConfigError.class)
          .hasMessageContaining("finerewards.model-cache.device-memory-budget")
          .hasMessageContaining("expected auto, unlimited, or a positive size");
    }
    assertThat(ModelCacheConfig.from(ConfigFactory.defaultReference().getConfig("finerewards.model-cache"))
        .deviceMemoryBudget()).as("reference.conf default").isEqualTo(DeviceMemoryBudget.AUTO);
  }

  @Test
  void autoBudgetRules() {
    // GPU: 0.8 of an 80 GiB H100 = 64 GiB; CPU: half of what a 4 GiB heap leaves of 24 GiB = 10 GiB.
    assertThat(DeviceMemoryBudget.forGpu(80L << 30)).isEqualTo(64L << 30);
    assertThat(DeviceMemoryBudget.forCpu(24L << 30, 4L << 30)).isEqualTo(10L << 30);
    assertThat(DeviceMemoryBudget.forCpu(4L << 30, 8L << 30)).isEqualTo(1);
    long auto = DeviceMemoryBudget.auto("cpu()");
    assertThat(auto).isPositive().isLessThan(((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize());
  }

  private static long budget(String value) {
    return ModelCacheConfig.from(ConfigFactory.parseString("device-memory-budget = \"" + value + "\"\n"
        + "local-dir = \"\"\nlocal-schemes = [file]")).deviceMemoryBudget();
  }
}
