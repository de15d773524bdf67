package ai.finerewards.jobs.task;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Streams a partition through a batch function: pulls {@code batchSize} inputs, emits their
 * outputs, and so on, so a partition never sits in memory whole. The resource is opened on the
 * first batch and closed when the input is used up or, failing that, when the task ends. A killed
 * task (job cancelled, speculative copy no longer needed) stops between batches: model calls run in
 * native code and do not see the thread's interrupt. For stages whose pre- and post-processing is
 * worth overlapping with the model, see {@link OverlappedBatches}.
 */
public final class BatchedIterator<I, O, R extends AutoCloseable> implements Iterator<O> {
  /** Opens the per-task resource (e.g. a runner holding predictor leases). */
  public interface Opener<R> {
    R open() throws Exception;
  }

  /** Maps one batch of inputs to outputs (any number) with the open resource. */
  public interface BatchFunction<I, O, R> {
    List<O> apply(R resource, List<I> batch) throws Exception;
  }

  private final Iterator<I> input;
  private final int batchSize;
  private final Opener<R> opener;
  private final BatchFunction<I, O, R> function;
  private R resource;
  private boolean closed;
  private Iterator<O> current = List.<O>of().iterator();

  public BatchedIterator(Iterator<I> input, int batchSize, Opener<R> opener, BatchFunction<I, O, R> function) {
    this.input = input;
    this.batchSize = batchSize;
    this.opener = opener;
    this.function = function;
  }

  @Override
  public boolean hasNext() {
    while (!current.hasNext()) {
      if (!input.hasNext()) {
        close();
        return false;
      }
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.killTaskIfInterrupted();
      }
      List<I> batch = new ArrayList<>(batchSize);
      while (batch.size() < batchSize && input.hasNext()) {
        batch.add(input.next());
      }
      try {
        if (resource == null) {
          resource = opener.open();
          if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
          }
        }
        current = function.apply(resource, batch).iterator();
        TaskProgress.batchDone(batch.size());
      } catch (RuntimeException e) {
        close();
        throw e;
      } catch (Exception e) {
        close();
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    return true;
  }

  @Override
  public O next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return current.next();
  }

  private synchronized void close() {
    if (!closed && resource != null) {
      closed = true;
      try {
        resource.close();
      } catch (Exception ignored) {
        // Closing returns leases to the cache; a failure here cannot change the rows written.
      }
    }
  }
}
