package ai.finerewards.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Cache specs for the TorchScript components of exported model directories. */
public final class TorchScriptModels {
  private static final Logger LOG = LoggerFactory.getLogger(TorchScriptModels.class);

  private TorchScriptModels() {}

  /**
   * The spec of one component of a checked model directory.
   *
   * @param dir the model directory (manifest already checked)
   * @param component a component name of its manifest
   * @param device where to run it (see {@link Devices#choose})
   * @param dtype {@code auto} (the manifest's), {@code float32} or {@code float16}; a value other
   *     than the manifest's is an error, since a traced file runs in the dtype it was traced in
   * @param trainParam load parameters as trainable tensors (needed to train or overwrite them,
   *     e.g. LoRA weights); a trainable load is a different cache entry
   */
  public static ModelSpec spec(
      ModelDirectory dir, String component, Device device, String dtype, boolean trainParam) {
    ModelManifest manifest = dir.manifest();
    Path file = dir.componentFile(component);
    String resolved = "auto".equals(dtype) ? manifest.dtype() : dtype;
    if (!resolved.equals(manifest.dtype())) {
      throw new ModelError("finerewards.models.dtype = " + dtype + " but " + manifest.origin()
          + " was exported as " + manifest.dtype() + "; re-export it in " + dtype
          + " or set dtype = auto");
    }
    ModelKey key = new ModelKey(dir.localPath().toString(), component, device.toString(),
        resolved, Map.of("trainParam", String.valueOf(trainParam)));
    String tracedWith = manifest.torchVersion();
    return new ModelSpec(key, device, (k, d) -> {
      warnOnTorchMismatch(file, tracedWith);
      return load(file, d, trainParam);
    }, estimatedBytes(file));
  }

  /**
   * The bytes a loaded component holds on its device, estimated as its file's size: torch.jit.save
   * stores every parameter and buffer uncompressed in the dtype it runs in, next to a small code
   * archive (a few hundred KB), so the file size is the weights' size within about 1% for real
   * models. Activations are not included (they are per call and freed after it).
   */
  public static long estimatedBytes(Path file) {
    try {
      return java.nio.file.Files.size(file);
    } catch (IOException e) {
      throw new ModelError("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * TorchScript files should be traced with the libtorch DJL runs (2.7.1 for DJL 0.36); older
   * files usually load, so a mismatch is a warning, not an error.
   */
  private static void warnOnTorchMismatch(Path file, String tracedWith) {
    String engine = Engine.getEngine("PyTorch").getVersion();
    if (!engine.equals(tracedWith)) {
      LOG.warn("{} was traced with torch {} but DJL runs libtorch {}; re-export with torch {} if"
          + " it fails to load or differs from its golden outputs", file, tracedWith, engine, engine);
    }
  }

  /** Load one TorchScript file with DJL's PyTorch engine. */
  public static Model load(Path file, Device device, boolean trainParam)
      throws IOException, MalformedModelException, ModelNotFoundException {
    String name = file.getFileName().toString();
    if (!name.endsWith(".pt")) {
      throw new ModelError(file + ": expected a TorchScript file named *.pt");
    }
    // Directory plus model name: DJL then loads <dir>/<name>.pt without treating it as an archive.
    Criteria<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(file.toAbsolutePath().getParent())
        .optModelName(name.substring(0, name.length() - 3))
        .optEngine("PyTorch")
        .optDevice(device)
        // Map tensors saved on another device (a GPU export) onto this one.
        .optOption("mapLocation", "true")
        .optOption("trainParam", String.valueOf(trainParam))
        .optTranslator(new NoopTranslator())
        .build();
    return criteria.loadModel();
  }
}
