package ai.finerewards.jobs.task;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * A partition through a model in batches, with the CPU work around the model overlapped with it:
 * while the model runs batch k on the task's model thread, batch k+1 (and k+2) is decoded and
 * pre-processed on the task's prepare thread, and batch k-1 is post-processed and handed to Spark's
 * writer on the task thread. Output order is input order and each batch is the same batch as without
 * overlap, so the rows (and bytes) do not change.
 *
 * <p>Threads: Spark's input iterator and TaskContext are used on the task thread only (batches are
 * read there); the model's resource (predictor leases, one user at a time) is opened, used and
 * closed on the model thread only. At most {@code prefetch} batches wait ahead of the model, so
 * memory stays bounded (prefetch + 2 batches in the task). A failure in any stage is thrown on the
 * task thread as it was thrown (a ModelError stays a ModelError). The task's end (used up, failed or
 * killed) stops the threads; a model call already running finishes before its resource is closed.
 *
 * @param <I> input rows
 * @param <P> a prepared batch (decoded, pre-processed)
 * @param <M> the model's output for a batch
 * @param <O> output rows
 * @param <R> the per-task model resource
 */
public final class OverlappedBatches<I, P, M, O, R extends AutoCloseable> implements Iterator<O> {
  /** Batches waiting ahead of the model: two hide a decode slower than one model call. */
  public static final int DEFAULT_PREFETCH = 2;

  /** Reads the next batch from the input; empty when the input is used up. Runs on the task thread. */
  public interface BatchReader<I> {
    List<I> next(Iterator<I> input);

    /** Up to {@code size} consecutive rows. */
    static <I> BatchReader<I> fixed(int size) {
      return input -> {
        List<I> batch = new ArrayList<>(size);
        while (batch.size() < size && input.hasNext()) {
          batch.add(input.next());
        }
        return batch;
      };
    }
  }

  /** The three steps of a batch. */
  public interface Steps<I, P, M, O, R> {
    /** Opens the model resource, on the model thread (e.g. a runner holding predictor leases). */
    R open() throws Exception;

    /** Decode and pre-process, on the prepare thread: no model, no Spark, no shared mutable state. */
    P prepare(List<I> batch) throws Exception;

    /** The model calls, on the model thread, batches in input order. */
    M run(R resource, P prepared) throws Exception;

    /** Post-process into output rows in input order, on the task thread (which writes them next). */
    List<O> finish(R resource, List<I> batch, M result) throws Exception;
  }

  private record InFlight<I, M>(List<I> batch, CompletableFuture<M> result) {}

  private final Iterator<I> input;
  private final BatchReader<I> reader;
  private final int prefetch;
  private final Steps<I, P, M, O, R> steps;
  private final ExecutorService prepareThread;
  private final ExecutorService modelThread;
  private final Deque<InFlight<I, M>> inFlight = new ArrayDeque<>();
  private final TaskContext task;
  private volatile R resource;
  private Iterator<O> current = List.<O>of().iterator();
  private boolean inputDone;
  private boolean started;
  private boolean closed;

  /**
   * @param name thread names: {@code finerewards-<name>-prepare-<task attempt>} and {@code -model-}
   * @param prefetch batches read and prepared ahead of the one the model runs (at least 1)
   */
  public OverlappedBatches(String name, Iterator<I> input, BatchReader<I> reader, int prefetch,
      Steps<I, P, M, O, R> steps) {
    if (prefetch < 1) {
      throw new IllegalArgumentException("prefetch " + prefetch + ": expected at least 1 batch");
    }
    this.input = input;
    this.reader = reader;
    this.prefetch = prefetch;
    this.steps = steps;
    this.task = TaskContext.get();
    String suffix = task == null ? "driver" : Long.toString(task.taskAttemptId());
    this.prepareThread = Executors.newSingleThreadExecutor(daemon("finerewards-" + name + "-prepare-" + suffix));
    this.modelThread = Executors.newSingleThreadExecutor(daemon("finerewards-" + name + "-model-" + suffix));
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> close(false));
    }
  }

  @Override
  public boolean hasNext() {
    while (!current.hasNext()) {
      if (closed) {
        return false;
      }
      killedCheck();
      fill();
      InFlight<I, M> oldest = inFlight.poll();
      if (oldest == null) {
        close(true);
        return false;
      }
      M result = await(oldest.result());
      fill(); // the model's queue is topped up before this thread post-processes and writes
      try {
        current = steps.finish(resource, oldest.batch(), result).iterator();
      } catch (RuntimeException e) {
        close(false);
        throw e;
      } catch (Exception e) {
        close(false);
        throw new IllegalStateException(e.getMessage(), e);
      }
      TaskProgress.batchDone(oldest.batch().size());
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

  /** Reads batches on this (the task) thread and queues them until {@code prefetch + 1} are in flight. */
  private void fill() {
    while (!inputDone && inFlight.size() <= prefetch) {
      List<I> batch = reader.next(input);
      if (batch.isEmpty()) {
        inputDone = true;
        return;
      }
      CompletableFuture<P> prepared = CompletableFuture.supplyAsync(() -> call(() -> steps.prepare(batch)), prepareThread);
      // The prepare thread completes batches in order, so the model thread receives them in order.
      CompletableFuture<M> result = prepared.thenApplyAsync(p -> call(() -> {
        if (resource == null) {
          resource = steps.open();
        }
        return steps.run(resource, p);
      }), modelThread);
      inFlight.add(new InFlight<>(batch, result));
      started = true;
    }
  }

  private M await(CompletableFuture<M> result) {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close(false);
      killedCheck(); // a killed task ends as killed, not as failed
      throw new IllegalStateException("interrupted while waiting for the model", e);
    } catch (ExecutionException e) {
      close(false);
      Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause.getMessage(), cause);
    }
  }

  private void killedCheck() {
    if (task != null) {
      task.killTaskIfInterrupted();
    }
  }

  private interface Step<T> {
    T run() throws Exception;
  }

  private static <T> T call(Step<T> step) {
    try {
      return step.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  /**
   * Stops both threads; the resource is closed on the model thread after any call running there.
   * When the input was used up ({@code wait}), waits for that close, so the leases are back in the
   * cache when the iterator reports its end, as without overlap.
   */
  private synchronized void close(boolean wait) {
    if (closed) {
      return;
    }
    closed = true;
    for (InFlight<I, M> f : inFlight) {
      f.result().cancel(false); // queued model calls are skipped
    }
    inFlight.clear();
    prepareThread.shutdownNow();
    if (!started) {
      modelThread.shutdown(); // nothing ran: no thread was started, no resource opened
      return;
    }
    modelThread.execute(() -> {
      R r = resource;
      resource = null;
      if (r != null) {
        try {
          r.close();
        } catch (Exception ignored) {
          // Closing returns leases to the cache; a failure here cannot change the rows written.
        }
      }
    });
    modelThread.shutdown();
    if (wait) {
      try {
        modelThread.awaitTermination(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
