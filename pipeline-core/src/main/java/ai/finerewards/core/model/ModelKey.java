package ai.finerewards.core.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * What makes two loaded models the same: the model directory, the component, the device and the
 * dtype, plus load options that change the loaded object (e.g. {@code trainParam}).
 *
 * @param directory the local model directory (or another stable model identity)
 * @param component the component name in the manifest (e.g. {@code unet})
 * @param device the DJL device, as {@code Device.toString()} ({@code cpu()}, {@code gpu(0)})
 * @param dtype {@code float32} or {@code float16}
 * @param options load options, compared by content
 */
public record ModelKey(
    String directory, String component, String device, String dtype, Map<String, String> options) {
  public ModelKey {
    options = Map.copyOf(options);
  }

  @Override
  public String toString() {
    return directory + "#" + component + " on " + device + " " + dtype
        + (options.isEmpty() ? "" : " " + new TreeMap<>(options));
  }
}
