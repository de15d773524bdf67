package ai.finerewards.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.model.ModelError;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The overlap helper without Spark (no TaskContext): rows come out in input order whatever the
 * threads do, each step runs on its own thread, the prefetch is bounded, failures surface as thrown
 * and the resource is closed on the model thread when the input is used up.
 */
class OverlappedBatchesTest {

  /** A resource that records the thread that opened and closed it. */
  static final class Resource implements AutoCloseable {
    final String openedOn = Thread.currentThread().getName();
    volatile String closedOn;

    @Override
    public void close() {
      closedOn = Thread.currentThread().getName();
    }
  }

  /** Steps that record threads and may fail at one batch; prepare of batch k+1 waits for run of batch k to start. */
  static final class Recording implements OverlappedBatches.Steps<Integer, List<Integer>, List<Integer>, String, Resource> {
    final List<String> prepareThreads = new ArrayList<>();
    final List<String> runThreads = new ArrayList<>();
    final List<String> finishThreads = new ArrayList<>();
    final AtomicInteger maxAhead = new AtomicInteger();
    final AtomicInteger prepared = new AtomicInteger();
    final AtomicInteger ran = new AtomicInteger();
    final int failAt;
    Resource resource;

    Recording(int failAt) {
      this.failAt = failAt;
    }

    @Override
    public Resource open() {
      resource = new Resource();
      return resource;
    }

    @Override
    public List<Integer> prepare(List<Integer> batch) {
      prepareThreads.add(Thread.currentThread().getName());
      maxAhead.accumulateAndGet(prepared.incrementAndGet() - ran.get(), Math::max);
      return batch.stream().map(i -> i * 10).toList();
    }

    @Override
    public List<Integer> run(Resource r, List<Integer> prepared) throws Exception {
      runThreads.add(Thread.currentThread().getName());
      Thread.sleep(5); // a model call slower than prepare: the prefetch bound is what stops prepare
      if (prepared.contains(failAt * 10)) {
        throw new ModelError("model failed at input " + failAt);
      }
      ran.incrementAndGet();
      return prepared.stream().map(i -> i + 1).toList();
    }

    @Override
    public List<String> finish(Resource r, List<Integer> batch, List<Integer> result) {
      finishThreads.add(Thread.currentThread().getName());
      List<String> out = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        out.add(batch.get(i) + "->" + result.get(i));
      }
      return out;
    }
  }

  private static Iterator<Integer> inputs(int n) {
    return IntStream.range(0, n).boxed().iterator();
  }

  @Test
  void rowsComeOutInInputOrderWithEachStepOnItsThreadAndABoundedPrefetch() throws Exception {
    Recording steps = new Recording(-1);
    List<String> out = new ArrayList<>();
    new OverlappedBatches<>("t", inputs(23), OverlappedBatches.BatchReader.fixed(4), 2, steps)
        .forEachRemaining(out::add);
    List<String> expected = IntStream.range(0, 23).mapToObj(i -> i + "->" + (i * 10 + 1)).toList();
    assertThat(out).isEqualTo(expected);
    String caller = Thread.currentThread().getName();
    assertThat(steps.prepareThreads).hasSize(6).allMatch(t -> t.equals("finerewards-t-prepare-driver"));
    assertThat(steps.runThreads).hasSize(6).allMatch(t -> t.equals("finerewards-t-model-driver"));
    assertThat(steps.finishThreads).hasSize(6).allMatch(t -> t.equals(caller));
    // prefetch 2 batches plus the one the model runs plus the one being finished: at most 4 prepared
    // batches not yet through the model.
    assertThat(steps.maxAhead.get()).isBetween(1, 4);
    assertThat(steps.resource.openedOn).isEqualTo("finerewards-t-model-driver");
    assertThat(steps.resource.closedOn).as("closed on the model thread before the end was reported")
        .isEqualTo("finerewards-t-model-driver");
  }

  @Test
  void aModelFailureIsThrownAsItWasAndTheResourceIsStillClosed() throws Exception {
    Recording steps = new Recording(9);
    List<String> out = new ArrayList<>();
    OverlappedBatches<Integer, List<Integer>, List<Integer>, String, Resource> it =
        new OverlappedBatches<>("f", inputs(20), OverlappedBatches.BatchReader.fixed(4), 1, steps);
    assertThatThrownBy(() -> it.forEachRemaining(out::add)).isInstanceOf(ModelError.class)
        .hasMessage("model failed at input 9");
    assertThat(out).hasSize(8); // the two batches before the failing one
    assertThat(it.hasNext()).isFalse();
    for (int i = 0; i < 200 && steps.resource.closedOn == null; i++) {
      TimeUnit.MILLISECONDS.sleep(5); // closed asynchronously after a failure
    }
    assertThat(steps.resource.closedOn).isEqualTo("finerewards-f-model-driver");
  }

  @Test
  void anEmptyInputOpensNothing() {
    Recording steps = new Recording(-1);
    assertThat(new OverlappedBatches<>("e", inputs(0), OverlappedBatches.BatchReader.fixed(4), 2, steps).hasNext())
        .isFalse();
    assertThat(steps.resource).isNull();
  }

  @Test
  void theModelRunsBatchKWhileBatchKPlusOneIsPrepared() throws Exception {
    // The model call of batch 0 returns only once batch 1 is being prepared: one after the other,
    // batch 1 would never be prepared (the wait times out and fails the test).
    CountDownLatch nextPrepared = new CountDownLatch(1);
    OverlappedBatches.Steps<Integer, Integer, Integer, Integer, Resource> steps = new OverlappedBatches.Steps<>() {
      @Override
      public Resource open() {
        return new Resource();
      }

      @Override
      public Integer prepare(List<Integer> batch) {
        if (batch.get(0) == 1) {
          nextPrepared.countDown();
        }
        return batch.get(0);
      }

      @Override
      public Integer run(Resource r, Integer prepared) throws Exception {
        if (prepared == 0) {
          assertThat(nextPrepared.await(30, TimeUnit.SECONDS)).as("batch 1 prepared during batch 0's model call").isTrue();
        }
        return prepared;
      }

      @Override
      public List<Integer> finish(Resource r, List<Integer> batch, Integer result) {
        return List.of(result);
      }
    };
    List<Integer> out = new ArrayList<>();
    new OverlappedBatches<>("o", inputs(3), OverlappedBatches.BatchReader.fixed(1), 2, steps).forEachRemaining(out::add);
    assertThat(out).containsExactly(0, 1, 2);
  }
}
