package ai.finerewards.core.model;

import ai.finerewards.core.io.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The exporter's golden cases of a model directory: a {@code golden/*.safetensors} file is a case
 * of a component when it holds a tensor named like every input of the component's manifest
 * signature and like every output (or the output's alias), with the signature's rank and fixed
 * dimensions. Shared by the Java parity test and the device check (docs/gpu.md).
 *
 * @param golden the safetensors file
 * @param outputs golden tensor name by output name, in signature order
 */
public record GoldenCases(Path golden, Map<String, String> outputs) {
  /** Golden tensor names that differ from the manifest's output name: family/component/output. */
  public static final Map<String, String> OUTPUT_ALIASES =
      Map.of("diffusion/unet/model_output", "out_lora_zero");

  /** The golden files of a model directory, sorted. */
  public static List<Path> files(ModelDirectory md) {
    Path dir = md.localPath().resolve("golden");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** Every case of component {@code c} among the directory's golden files. */
  public static List<GoldenCases> of(ModelDirectory md, ModelManifest.Component c) {
    List<GoldenCases> cases = new ArrayList<>();
    for (Path golden : files(md)) {
      Map<String, String> outputs = match(md.manifest().family(), c, golden);
      if (outputs != null) {
        cases.add(new GoldenCases(golden, outputs));
      }
    }
    return cases;
  }

  /** Output name to golden tensor name when {@code golden} is a case of {@code c}, else null. */
  public static Map<String, String> match(String family, ModelManifest.Component c, Path golden) {
    Map<String, Safetensors.Entry> entries = Safetensors.read(golden).entries();
    for (ModelManifest.TensorSpec in : c.inputs()) {
      if (!fits(entries.get(in.name()), in)) {
        return null;
      }
    }
    Map<String, String> outputs = new LinkedHashMap<>();
    for (ModelManifest.TensorSpec out : c.outputs()) {
      String name = OUTPUT_ALIASES.getOrDefault(family + "/" + c.name() + "/" + out.name(), out.name());
      if (!fits(entries.get(name), out)) {
        return null;
      }
      outputs.put(out.name(), name);
    }
    return outputs;
  }

  /** A golden tensor of the spec's rank whose fixed dimensions match (same name, other use: no). */
  private static boolean fits(Safetensors.Entry e, ModelManifest.TensorSpec spec) {
    if (e == null || e.shape().length != spec.shape().size()) {
      return false;
    }
    for (int i = 0; i < e.shape().length; i++) {
      long want = spec.shape().get(i);
      if (want != -1 && want != e.shape()[i]) {
        return false;
      }
    }
    return true;
  }
}
