package ai.finerewards.core.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Libtorch's thread counts for this JVM ({@code finerewards.models.intra-op-threads} and
 * {@code inter-op-threads}), set from configuration in every JVM that runs a model: the driver in
 * local mode and each executor, the first time a task asks {@link ModelRuntime} for a model.
 *
 * <p>Why: an intra-op reduction split over N threads sums in another order than over M threads, so
 * a local driver (all cores) and a Spark executor ({@code OMP_NUM_THREADS=spark.task.cpus}) wrote
 * different images from the same seed. Setting the count explicitly makes every JVM of a run
 * compute the same numbers. Intra-op threads can change at any time (libtorch hands the count to
 * its OpenMP and MKL pools per parallel region); the inter-op pool is sized once per process, so
 * a later different value is only logged.
 *
 * @param intraOp libtorch intra-op threads (torch.set_num_threads), at least 1
 * @param interOp libtorch inter-op threads (torch.set_num_interop_threads), at least 1
 */
public record EngineThreads(int intraOp, int interOp) implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);
  private static EngineThreads applied;

  public EngineThreads {
    if (intraOp < 1 || interOp < 1) {
      throw new IllegalArgumentException("thread counts must be at least 1: intra-op " + intraOp
          + ", inter-op " + interOp);
    }
  }

  /**
   * Sets these counts in this JVM's libtorch (loading the engine if needed); a no-op when they are
   * already set. Before the engine loads they go through DJL's {@code ai.djl.pytorch.num_threads}
   * and {@code num_interop_threads} properties, which it applies at start.
   */
  public void apply() {
    synchronized (EngineThreads.class) {
      if (equals(applied)) {
        return;
      }
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
      System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(interOp));
      Engine.getEngine("PyTorch"); // starts libtorch with the properties above if not yet started
      if (JniUtils.getNumThreads() != intraOp) {
        JniUtils.setNumThreads(intraOp);
      }
      if (JniUtils.getNumInteropThreads() != interOp) {
        try {
          JniUtils.setNumInteropThreads(interOp);
        } catch (RuntimeException e) {
          // Inter-op threads only run TorchScript forks, which the exported models do not use,
          // so the numbers do not depend on this count; say so rather than fail the task.
          LOG.warn("libtorch inter-op threads stay {} (wanted {}): the pool is already started",
              JniUtils.getNumInteropThreads(), interOp);
        }
      }
      applied = this;
      LOG.info("libtorch threads: intra-op {}, inter-op {}", JniUtils.getNumThreads(),
          JniUtils.getNumInteropThreads());
    }
  }

  /** The counts libtorch uses in this JVM now (starts the engine). */
  public static EngineThreads current() {
    Engine.getEngine("PyTorch");
    return new EngineThreads(JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
  }
}
