package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.repository.zoo.ModelNotFoundException;
import java.io.IOException;

/** Loads the model a {@link ModelKey} names onto a device; called once per key per JVM. */
@FunctionalInterface
public interface ModelLoader {
  Model load(ModelKey key, Device device)
      throws IOException, MalformedModelException, ModelNotFoundException;
}
