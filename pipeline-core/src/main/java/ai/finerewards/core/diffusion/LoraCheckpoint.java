package ai.finerewards.core.diffusion;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelError;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A LoRA checkpoint directory as the train stage writes it: {@code pytorch_lora_weights.safetensors}
 * in the key layout of diffusers' {@code load_lora_weights} (alpha = rank, no alpha entries), and
 * optionally {@code checkpoint.json} (the checkpoint contract) whose {@code checkpoint_id} names it.
 * The weights are read and checked against the manifest's LoRA table (every key present, none
 * unknown, shapes equal) before any model is touched.
 */
public final class LoraCheckpoint {
  public static final String WEIGHTS_FILE = "pytorch_lora_weights.safetensors";
  public static final String MANIFEST_FILE = "checkpoint.json";

  private final Path directory;
  private final String id;
  private final Map<String, HostTensor> byTorchscriptName;

  private LoraCheckpoint(Path directory, String id, Map<String, HostTensor> byTorchscriptName) {
    this.directory = directory;
    this.id = id;
    this.byTorchscriptName = byTorchscriptName;
  }

  /**
   * Reads {@code directory}; {@code checkpoint_id} comes from {@code checkpoint.json} when present,
   * else it is {@code sha256-<first 12 hex chars of the weights file's SHA-256>}.
   *
   * @throws ModelError naming the file when it is missing or does not fit the model's LoRA table
   */
  public static LoraCheckpoint read(Path directory, DiffusionModelConfig model) {
    Path weights = weightsFile(directory);
    return fromFile(weights, idOf(directory, weights), model);
  }

  private static Path weightsFile(Path directory) {
    Path weights = directory.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(weights)) {
      throw new ModelError("LoRA checkpoint " + directory + ": no " + WEIGHTS_FILE + " (expected the file the train stage writes)");
    }
    return weights;
  }

  /** Reads a weights file in the diffusers layout directly (e.g. a golden file), with the given id. */
  public static LoraCheckpoint fromFile(Path weights, String id, DiffusionModelConfig model) {
    if (model.lora().isEmpty()) {
      throw new ModelError("LoRA checkpoint " + weights + " given, but the diffusion manifest has no extra.lora.parameters table:"
          + " re-export the UNet with LoRA layers");
    }
    Safetensors st = Safetensors.read(weights);
    Map<String, DiffusionModelConfig.LoraParameter> table = model.loraByDiffusersKey();
    TreeSet<String> unknown = new TreeSet<>(st.entries().keySet());
    unknown.removeAll(table.keySet());
    if (!unknown.isEmpty()) {
      throw new ModelError(weights + ": keys not in the model's LoRA table: " + first(unknown)
          + " (expected diffusers keys such as " + table.keySet().iterator().next() + ")");
    }
    TreeSet<String> missing = new TreeSet<>(table.keySet());
    missing.removeAll(st.entries().keySet());
    if (!missing.isEmpty()) {
      throw new ModelError(weights + ": missing LoRA keys " + first(missing) + " (" + missing.size() + " of " + table.size() + ")");
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (DiffusionModelConfig.LoraParameter p : table.values()) {
      HostTensor t = st.tensor(p.diffusersKey());
      if (t.dtype() != HostTensor.DType.FLOAT32 || !Arrays.equals(t.shape(), p.shape())) {
        throw new ModelError(weights + ": tensor " + p.diffusersKey() + " is " + t + ", expected float32 "
            + Arrays.toString(p.shape()));
      }
      out.put(p.torchscriptName(), t);
    }
    return new LoraCheckpoint(weights.getParent(), id, out);
  }

  /** The id recorded in {@code samples.lora_checkpoint_id}. */
  public String id() {
    return id;
  }

  public Path directory() {
    return directory;
  }

  /**
   * Copies every LoRA matrix into the UNet's parameters. The model must have been loaded with
   * {@code trainParam=true} (otherwise its parameters are read-only inference tensors).
   *
   * @throws ModelError when a parameter of the table is not in the model
   */
  public void applyTo(Model unet) {
    Map<String, Parameter> params = new HashMap<>();
    for (Pair<String, Parameter> p : unet.getBlock().getParameters()) {
      params.put(p.getKey(), p.getValue());
    }
    List<String> absent = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : byTorchscriptName.entrySet()) {
      Parameter p = params.get(e.getKey());
      if (p == null) {
        absent.add(e.getKey());
        continue;
      }
      NDArray a = p.getArray();
      a.set(FloatBuffer.wrap(e.getValue().floats()));
    }
    if (!absent.isEmpty()) {
      throw new ModelError("UNet " + unet.getName() + " has no parameters " + absent.subList(0, Math.min(3, absent.size()))
          + " named by the manifest's LoRA table (" + absent.size() + " absent)");
    }
  }

  private static String idOf(Path directory, Path weights) {
    Path manifest = directory.resolve(MANIFEST_FILE);
    if (Files.isRegularFile(manifest)) {
      try {
        JsonObject o = JsonParser.parseString(Files.readString(manifest, StandardCharsets.UTF_8)).getAsJsonObject();
        if (o.has("checkpoint_id") && o.get("checkpoint_id").isJsonPrimitive()) {
          return o.get("checkpoint_id").getAsString();
        }
        throw new ModelError(manifest + ": no string field checkpoint_id (the checkpoint contract requires it)");
      } catch (IOException | RuntimeException e) {
        if (e instanceof ModelError me) {
          throw me;
        }
        throw new ModelError("cannot read " + manifest + ": " + e.getMessage(), e);
      }
    }
    return "sha256-" + sha256(weights).substring(0, 12);
  }

  /**
   * SHA-256 (hex) of {@code directory}'s weights file: what a checkpoint given by path contributes
   * to a stage fingerprint, so replacing the file in place regenerates.
   *
   * @throws ModelError when the directory has no weights file
   */
  public static String weightsSha256(Path directory) {
    return sha256(weightsFile(directory));
  }

  static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      MessageDigest md = ((DigestInputStream) in).getMessageDigest();
      in.transferTo(java.io.OutputStream.nullOutputStream());
      StringBuilder sb = new StringBuilder();
      for (byte b : md.digest()) {
        sb.append(String.format("%02x", b));
      }
      return sb.toString();
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new ModelError("cannot hash " + file + ": " + e.getMessage(), e);
    }
  }

  private static String first(TreeSet<String> keys) {
    List<String> l = new ArrayList<>(keys);
    return l.subList(0, Math.min(3, l.size())) + (l.size() > 3 ? " ..." : "");
  }
}
