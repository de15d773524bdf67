package ai.finerewards.core.model;

import ai.djl.Device;

/**
 * A model the cache can load: its key, how to load it, and its estimated size on the device.
 * Equality is the key's: two specs with the same key share one loaded model whatever loader they
 * carry.
 *
 * @param key what the model is
 * @param device the device the key names
 * @param loader how to load it on first use
 * @param sizeBytes the estimated bytes the loaded model holds on its device, counted against
 *     {@code finerewards.model-cache.device-memory-budget}; 0 when unknown (never evicts to make room)
 */
public record ModelSpec(ModelKey key, Device device, ModelLoader loader, long sizeBytes) {
  public ModelSpec {
    if (!key.device().equals(device.toString())) {
      throw new IllegalArgumentException("key device " + key.device() + " differs from " + device);
    }
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("model size of " + key + " is negative: " + sizeBytes);
    }
  }

  /** A spec of unknown size (counted as 0 bytes against the budget). */
  public ModelSpec(ModelKey key, Device device, ModelLoader loader) {
    this(key, device, loader, 0L);
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
