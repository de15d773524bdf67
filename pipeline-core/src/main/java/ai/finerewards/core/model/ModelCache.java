package ai.finerewards.core.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.Translator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final ModelCache INSTANCE = new ModelCache();

  private final Map<ModelKey, Entry> entries = new ConcurrentHashMap<>();
  private final Map<ModelKey, AtomicInteger> loads = new ConcurrentHashMap<>();
  private final AtomicBoolean hookInstalled = new AtomicBoolean();

  private ModelCache() {}

  /** The JVM-wide cache. */
  public static ModelCache get() {
    return INSTANCE;
  }

  /**
   * The loaded model for {@code spec}, loading it if this JVM has not yet. The cache owns the
   * model: callers must not close it.
   */
  public Model model(ModelSpec spec) {
    while (true) {
      Entry e = entries.computeIfAbsent(spec.key(), Entry::new);
      Model m = e.model(spec);
      if (m != null) {
        return m;
      }
      entries.remove(spec.key(), e); // closed by closeAll meanwhile: load afresh
    }
  }

  /**
   * A new predictor on the cached model for this task thread. Close the lease when the
   * partition ends; {@link #closeAll} also closes leases still open.
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

  /** How many times this JVM has loaded {@code key} (not reset by {@link #closeAll}). */
  public int loadCount(ModelKey key) {
    AtomicInteger n = loads.get(key);
    return n == null ? 0 : n.get();
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

  /** One key's model and its open leases; its monitor serialises loading and closing. */
  private final class Entry {
    private final ModelKey key;
    private final Set<PredictorLease<?, ?>> leases = ConcurrentHashMap.newKeySet();
    private Model model;
    private boolean closed;

    Entry(ModelKey key) {
      this.key = key;
    }

    synchronized boolean isLoaded() {
      return model != null && !closed;
    }

    /** The model, loading it on first call; null when this entry was closed. */
    synchronized Model model(ModelSpec spec) {
      if (closed) {
        return null;
      }
      if (model == null) {
        installShutdownHook();
        long start = System.nanoTime();
        try {
          model = spec.loader().load(key, spec.device());
        } catch (Exception e) {
          LOG.debug("loading model {} failed", key, e); // the full trace, for a bug report
          throw ModelError.brief("cannot load model " + key + ": " + ModelError.firstLine(e)
              + " (the driver checked the model's files against manifest.json before the stage; was the"
              + " file changed since, or does this executor see another copy?)");
        }
        if (model == null) {
          throw new ModelError("loader for " + key + " returned no model");
        }
        loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        long millis = (System.nanoTime() - start) / 1_000_000;
        LOG.info("loaded model {} in {} ms", key, millis);
        ModelLoadLog.recordLoad(key, millis);
      }
      return model;
    }

    synchronized <I, O> PredictorLease<I, O> lease(ModelSpec spec, Translator<I, O> translator) {
      Model m = model(spec);
      if (m == null) {
        return null;
      }
      Predictor<I, O> p = m.newPredictor(translator, spec.device());
      PredictorLease<I, O>[] holder = newHolder();
      holder[0] = new PredictorLease<>(p, m, () -> leases.remove(holder[0]));
      leases.add(holder[0]);
      return holder[0];
    }

    /** Close leases and the model; true when a model was loaded. */
    synchronized boolean close() {
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
      LOG.info("closed model {}", key);
      return true;
    }

    @SuppressWarnings("unchecked")
    private <I, O> PredictorLease<I, O>[] newHolder() {
      return (PredictorLease<I, O>[]) new PredictorLease<?, ?>[1];
    }
  }
}
