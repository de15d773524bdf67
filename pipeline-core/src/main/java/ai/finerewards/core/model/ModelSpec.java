package ai.finerewards.core.model;

import ai.djl.Device;

/**
 * A model the cache can load: its key and how to load it. Equality is the key's: two specs with
 * the same key share one loaded model whatever loader they carry.
 *
 * @param key what the model is
 * @param device the device the key names
 * @param loader how to load it on first use
 */
public record ModelSpec(ModelKey key, Device device, ModelLoader loader) {
  public ModelSpec {
    if (!key.device().equals(device.toString())) {
      throw new IllegalArgumentException("key device " + key.device() + " differs from " + device);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s && s.key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }
}
