package ai.finerewards.core.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One task thread's predictor on a cached model. Close it when the partition ends (the model stays
 * loaded in the cache). Not thread-safe: one lease per thread.
 */
public final class PredictorLease<I, O> implements AutoCloseable {
  private final Predictor<I, O> predictor;
  private final Model model;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  PredictorLease(Predictor<I, O> predictor, Model model, Runnable onClose) {
    this.predictor = predictor;
    this.model = model;
    this.onClose = onClose;
  }

  public O predict(I input) throws TranslateException {
    return predictor.predict(input);
  }

  public List<O> batchPredict(List<I> inputs) throws TranslateException {
    return predictor.batchPredict(inputs);
  }

  /** The DJL predictor, for calls this class does not wrap; do not close it directly. */
  public Predictor<I, O> predictor() {
    return predictor;
  }

  /** The shared cached model (never close it: the cache owns it). */
  public Model model() {
    return model;
  }

  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        predictor.close();
      } finally {
        onClose.run();
      }
    }
  }
}
