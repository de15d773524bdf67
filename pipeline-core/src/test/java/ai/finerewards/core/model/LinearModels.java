package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.ConstantInitializer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DJL-defined model for cache tests: Linear(in=3, out=2) with every weight {@code w} and zero
 * bias, so each output is {@code w * sum(x)}. It runs on the PyTorch engine like the exported
 * TorchScript models, through the same cache API.
 */
final class LinearModels {
  static final int IN = 3;

  private LinearModels() {}

  static ModelSpec spec(String name, float weight, AtomicInteger loaderCalls, long loadMillis) {
    ModelKey key = new ModelKey("test://" + name, "linear", Device.cpu().toString(), "float32",
        Map.of("weight", Float.toString(weight)));
    return new ModelSpec(key, Device.cpu(), (k, device) -> {
      loaderCalls.incrementAndGet();
      sleep(loadMillis); // widens the window in which concurrent first callers overlap
      return newModel(device, weight);
    });
  }

  static Model newModel(Device device, float weight) {
    Model model = Model.newInstance("linear", device, "PyTorch");
    Linear block = Linear.builder().setUnits(2).build();
    block.setInitializer(new ConstantInitializer(weight), Parameter.Type.WEIGHT);
    model.setBlock(block);
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, IN));
    return model;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
