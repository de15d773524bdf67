package ai.finerewards.core.diffusion;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * One forward call of a model component on NDArrays: the outputs are attached to {@code target}
 * (the caller's batch or step manager) before the call returns, so their lifetime is the caller's
 * scope and nothing stays on the predictor's or model's manager.
 */
@FunctionalInterface
public interface ComponentCall {
  NDList forward(NDList inputs, NDManager target);
}
