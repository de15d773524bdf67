package ai.finerewards.core.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.Translator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-executor model cache: one JVM-wide registry that loads each model (by {@link ModelKey})
 * once, on first use, however many tasks ask for it at once, hands every task thread its own
 * predictor, and closes every model at JVM shutdown.
 *
 * <pre>{@code
 * ModelSpec spec = TorchScriptModels.spec(dir, "unet", Devices.choose(policy, gpuAddresses), "auto", false);
 * try (PredictorLease<List<HostTensor>, List<HostTensor>> p =
 *     ModelCache.get().predictor(spec, new TensorTranslator())) {
 *   ... p.predict(inputs) for every batch of the partition ...
 * }
 * }</pre>
 *
 * <p>Memory budget ({@code finerewards.model-cache.device-memory-budget}, see
 * {@link DeviceMemoryBudget}): models are counted per device at their {@link ModelSpec#sizeBytes
 * estimated size}. When a load would take a device past its budget, loaded models of that device
 * without an open lease are closed, least recently used first, until the new model fits. Models
 * with open leases are never closed: when they alone leave no room, the load goes ahead over the
 * budget with a warning (a model larger than the budget loads alone, after every idle model left).
 * {@link #release} closes a set of models as soon as they are idle (superseded LoRA UNets). Every
 * load and every eviction is logged in one line and counted ({@link #stats}).
 *
 * <p>Locking: each entry has its own lock (held while it loads); the budget lock is taken inside an
 * entry's lock and, while held, only ever try-locks other entries (a busy entry is not idle), so no
 * two threads wait on each other.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final ModelCache INSTANCE = new ModelCache();

  private final Map<ModelKey, Entry> entries = new ConcurrentHashMap<>();
  private final Map<ModelKey, AtomicInteger> loads = new ConcurrentHashMap<>();
  private final Map<ModelKey, AtomicInteger> evictions = new ConcurrentHashMap<>();
  private final AtomicBoolean hookInstalled = new AtomicBoolean();
  private final AtomicLong clock = new AtomicLong();
  private final AtomicLong totalLoads = new AtomicLong();
  private final AtomicLong totalEvictions = new AtomicLong();
  private final AtomicLong totalReleases = new AtomicLong();
  private final AtomicLong overBudgetLoads = new AtomicLong();

  /** Guards {@link #resident} and budget decisions. */
  private final Object budgetLock = new Object();
  /** Estimated bytes of loaded (or loading) models per device ({@code Device.toString()}). */
  private final Map<String, Long> resident = new HashMap<>();
  private volatile long configuredBudget = DeviceMemoryBudget.UNLIMITED;
  private final Map<String, Long> budgets = new ConcurrentHashMap<>();

  private ModelCache() {}

  /** The JVM-wide cache. */
  public static ModelCache get() {
    return INSTANCE;
  }

  /**
   * Sets the device memory budget: bytes per device, {@link DeviceMemoryBudget#AUTO} (from each
   * device's memory) or {@link DeviceMemoryBudget#UNLIMITED} (the default until set). Every task
   * sets it from its configuration ({@link ModelRuntime#device}); a lower budget takes effect at the
   * next load.
   */
  public void setBudget(long bytesOrSentinel) {
    if (bytesOrSentinel != configuredBudget) {
      configuredBudget = bytesOrSentinel;
      budgets.clear();
    }
  }

  /** The budget in bytes of {@code device} ({@code Device.toString()}), auto resolved once per device. */
  public long budgetBytes(String device) {
    long configured = configuredBudget;
    if (configured != DeviceMemoryBudget.AUTO) {
      return configured;
    }
    return budgets.computeIfAbsent(device, DeviceMemoryBudget::auto);
  }

  /**
   * The loaded model for {@code spec}, loading it if this JVM has not yet. The cache owns the
   * model: callers must not close it. Under a budget a model without a lease may be evicted at the
   * next load: tasks use {@link #predictor} leases, which pin it.
   */
  public Model model(ModelSpec spec) {
    while (true) {
      Entry e = entries.computeIfAbsent(spec.key(), Entry::new);
      Model m = e.model(spec);
      if (m != null) {
        return m;
      }
      entries.remove(spec.key(), e); // closed meanwhile (closeAll, eviction): load afresh
    }
  }

  /**
   * A new predictor on the cached model for this task thread. Close the lease when the
   * partition ends; {@link #closeAll} also closes leases still open. A model with open leases is
   * never evicted.
   */
  public <I, O> PredictorLease<I, O> predictor(ModelSpec spec, Translator<I, O> translator) {
    while (true) {
      Entry e = entries.computeIfAbsent(spec.key(), Entry::new);
      PredictorLease<I, O> lease = e.lease(spec, translator);
      if (lease != null) {
        return lease;
      }
      entries.remove(spec.key(), e);
    }
  }

  /**
   * Closes the loaded models whose keys match {@code which}: idle ones now, leased ones when their
   * last lease closes (unless a new lease is taken meanwhile). Counted as releases, logged as
   * evictions.
   *
   * @return how many models matched
   */
  public int release(Predicate<ModelKey> which, String reason) {
    int n = 0;
    for (Entry e : new ArrayList<>(entries.values())) {
      if (which.test(e.key) && e.retire(reason)) {
        n++;
      }
    }
    return n;
  }

  /** How many times this JVM has loaded {@code key} (not reset by {@link #closeAll}). */
  public int loadCount(ModelKey key) {
    AtomicInteger n = loads.get(key);
    return n == null ? 0 : n.get();
  }

  /** How many times this JVM has closed {@code key} for the budget or a {@link #release}. */
  public int evictionCount(ModelKey key) {
    AtomicInteger n = evictions.get(key);
    return n == null ? 0 : n.get();
  }

  /** Counts since the JVM started (never reset), for tests and the stage summary. */
  public Stats stats() {
    long bytes;
    synchronized (budgetLock) {
      bytes = resident.values().stream().mapToLong(Long::longValue).sum();
    }
    return new Stats(totalLoads.get(), totalEvictions.get(), totalReleases.get(), overBudgetLoads.get(), bytes);
  }

  /**
   * @param loads models loaded
   * @param evictions models closed to make room under the budget
   * @param releases models closed by {@link #release} ({@link #closeAll} counts in neither)
   * @param overBudgetLoads loads that went ahead over the budget because leased models held it
   * @param residentBytes estimated bytes of the models loaded now, all devices
   */
  public record Stats(long loads, long evictions, long releases, long overBudgetLoads, long residentBytes) {
    /** What happened between {@code before} and this. */
    public Stats since(Stats before) {
      return new Stats(loads - before.loads, evictions - before.evictions, releases - before.releases,
          overBudgetLoads - before.overBudgetLoads, residentBytes);
    }
  }

  /** Estimated bytes of the models loaded now on {@code device} ({@code Device.toString()}). */
  public long residentBytes(String device) {
    synchronized (budgetLock) {
      return resident.getOrDefault(device, 0L);
    }
  }

  /** Whether {@code key} is loaded now. */
  public boolean isLoaded(ModelKey key) {
    Entry e = entries.get(key);
    return e != null && e.isLoaded();
  }

  /** Predictor leases of {@code key} not yet closed. */
  public int openLeases(ModelKey key) {
    Entry e = entries.get(key);
    return e == null ? 0 : e.leases.size();
  }

  /** The keys loaded now. */
  public List<ModelKey> loadedKeys() {
    List<ModelKey> out = new ArrayList<>();
    entries.forEach((k, e) -> {
      if (e.isLoaded()) {
        out.add(k);
      }
    });
    return out;
  }

  /**
   * Close every open lease and every loaded model, and empty the cache (a later request loads
   * again). Runs at JVM shutdown; tests call it directly.
   *
   * @return the number of models closed
   */
  public int closeAll() {
    int closed = 0;
    for (ModelKey key : new ArrayList<>(entries.keySet())) {
      Entry e = entries.remove(key);
      if (e != null && e.close()) {
        closed++;
      }
    }
    return closed;
  }

  private void installShutdownHook() {
    if (hookInstalled.compareAndSet(false, true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        int n = closeAll();
        if (n > 0) {
          LOG.info("model cache closed {} model(s) at JVM shutdown", n);
        }
      }, "finerewards-model-cache-shutdown"));
    }
  }

  /**
   * Makes room for {@code size} bytes on {@code device} for {@code loading} and counts them as
   * resident: evicts idle models of the device, least recently used first, while the device would
   * exceed its budget. Called with {@code loading}'s lock held.
   *
   * @return a note for the load line: empty, or why the load goes over the budget
   */
  private String reserve(Entry loading, String device, long size) {
    synchronized (budgetLock) {
      long budget = budgetBytes(device);
      long used = resident.getOrDefault(device, 0L);
      if (used + size > budget) {
        // Snapshot the use times first: they change under concurrent lease closes, and a sort whose
        // keys move can fail its own consistency check.
        List<Map.Entry<Long, Entry>> candidates = new ArrayList<>();
        for (Entry e : entries.values()) {
          if (e != loading && e.key.device().equals(device)) {
            candidates.add(Map.entry(e.lastUsed, e));
          }
        }
        candidates.sort(Map.Entry.comparingByKey());
        for (Entry e : candidates.stream().map(Map.Entry::getValue).toList()) {
          if (used + size <= budget) {
            break;
          }
          if (e.tryEvictIdle("least recently used, to load " + loading.key.component())) {
            used = resident.getOrDefault(device, 0L);
          }
        }
      }
      resident.merge(device, size, Long::sum);
      if (used + size > budget) {
        overBudgetLoads.incrementAndGet();
        return size > budget
            ? "; OVER BUDGET: the model alone is larger than the budget (it loads alone; raise"
                + " finerewards.model-cache.device-memory-budget)"
            : "; OVER BUDGET: models with open leases hold " + human(used) + " (none idle to evict)";
      }
      return "";
    }
  }

  private void unreserve(String device, long size) {
    synchronized (budgetLock) {
      resident.merge(device, -size, Long::sum);
    }
  }

  /** {@code 12.3 MiB}-style sizes for log lines. */
  static String human(long bytes) {
    if (bytes == DeviceMemoryBudget.UNLIMITED) {
      return "unlimited";
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** One key's model and its open leases; its lock serialises loading, leasing and closing. */
  private final class Entry {
    private final ModelKey key;
    private final Set<PredictorLease<?, ?>> leases = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private Model model;
    private long size;
    private boolean closed;
    /** Why a {@link #release} asked to close this model once idle; null when not asked. */
    private volatile String retired;
    private volatile long lastUsed;

    Entry(ModelKey key) {
      this.key = key;
      this.lastUsed = clock.incrementAndGet();
    }

    boolean isLoaded() {
      lock.lock();
      try {
        return model != null && !closed;
      } finally {
        lock.unlock();
      }
    }

    /** The model, loading it on first call; null when this entry was closed. */
    Model model(ModelSpec spec) {
      lock.lock();
      try {
        return loadLocked(spec);
      } finally {
        lock.unlock();
      }
    }

    private Model loadLocked(ModelSpec spec) {
      if (closed) {
        return null;
      }
      lastUsed = clock.incrementAndGet();
      if (model == null) {
        installShutdownHook();
        long start = System.nanoTime();
        String note = reserve(this, key.device(), spec.sizeBytes());
        try {
          model = spec.loader().load(key, spec.device());
        } catch (Exception e) {
          unreserve(key.device(), spec.sizeBytes());
          LOG.debug("loading model {} failed", key, e); // the full trace, for a bug report
          throw ModelError.brief("cannot load model " + key + ": " + ModelError.firstLine(e)
              + " (the driver checked the model's files against manifest.json before the stage; was the"
              + " file changed since, or does this executor see another copy?)");
        }
        if (model == null) {
          unreserve(key.device(), spec.sizeBytes());
          throw new ModelError("loader for " + key + " returned no model");
        }
        size = spec.sizeBytes();
        loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        totalLoads.incrementAndGet();
        long millis = (System.nanoTime() - start) / 1_000_000;
        String line = "model cache: loaded " + key + " (" + human(size) + ") in " + millis + " ms; budget "
            + human(budgetBytes(key.device())) + ", in use " + human(residentBytes(key.device())) + note;
        if (note.isEmpty()) {
          LOG.info(line);
        } else {
          LOG.warn(line);
        }
        ModelLoadLog.recordLoad(key, millis);
      }
      return model;
    }

    <I, O> PredictorLease<I, O> lease(ModelSpec spec, Translator<I, O> translator) {
      lock.lock();
      try {
        Model m = loadLocked(spec);
        if (m == null) {
          return null;
        }
        retired = null; // wanted again
        Predictor<I, O> p = m.newPredictor(translator, spec.device());
        PredictorLease<I, O>[] holder = newHolder();
        holder[0] = new PredictorLease<>(p, m, () -> leaseClosed(holder[0]));
        leases.add(holder[0]);
        return holder[0];
      } finally {
        lock.unlock();
      }
    }

    private void leaseClosed(PredictorLease<?, ?> lease) {
      leases.remove(lease);
      lastUsed = clock.incrementAndGet();
      if (retired == null) {
        return;
      }
      lock.lock();
      try {
        if (retired != null && leases.isEmpty() && model != null && !closed) {
          synchronized (budgetLock) {
            evictLocked(retired, true);
          }
        }
      } finally {
        lock.unlock();
      }
    }

    /** Marks this model to close once idle, and closes it now if it is; false when not loaded. */
    boolean retire(String reason) {
      lock.lock();
      try {
        if (model == null || closed) {
          return false;
        }
        retired = reason;
        if (leases.isEmpty()) {
          synchronized (budgetLock) {
            evictLocked(reason, true);
          }
        }
        return true;
      } finally {
        lock.unlock();
      }
    }

    /** Closes the model when loaded, idle and not busy; called with the budget lock held. */
    boolean tryEvictIdle(String reason) {
      if (!lock.tryLock()) {
        return false; // loading or leasing right now: not idle
      }
      try {
        if (model == null || closed || !leases.isEmpty()) {
          return false;
        }
        evictLocked(reason, false);
        return true;
      } finally {
        lock.unlock();
      }
    }

    /** Closes the model and logs the eviction; holds this entry's lock and the budget lock. */
    private void evictLocked(String reason, boolean released) {
      closed = true;
      entries.remove(key, this);
      try {
        model.close();
      } catch (RuntimeException e) {
        LOG.warn("closing model {} failed", key, e);
      }
      resident.merge(key.device(), -size, Long::sum);
      evictions.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      (released ? totalReleases : totalEvictions).incrementAndGet();
      LOG.info("model cache: evicted {} ({}; {}); budget {}, in use {}", key, human(size), reason,
          human(budgetBytes(key.device())), human(resident.getOrDefault(key.device(), 0L)));
    }

    /** Close leases and the model; true when a model was loaded. */
    boolean close() {
      lock.lock();
      try {
        if (closed) {
          return false;
        }
        closed = true;
        for (PredictorLease<?, ?> lease : new ArrayList<>(leases)) {
          try {
            lease.close();
          } catch (RuntimeException e) {
            LOG.warn("closing a predictor of {} failed", key, e);
          }
        }
        if (model == null) {
          return false;
        }
        try {
          model.close();
        } catch (RuntimeException e) {
          LOG.warn("closing model {} failed", key, e);
        }
        unreserve(key.device(), size);
        LOG.info("closed model {}", key);
        return true;
      } finally {
        lock.unlock();
      }
    }

    @SuppressWarnings("unchecked")
    private <I, O> PredictorLease<I, O>[] newHolder() {
      return (PredictorLease<I, O>[]) new PredictorLease<?, ?>[1];
    }
  }
}
