package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoadLogTest {
  @TempDir Path dir;

  @Test
  void appendsOneJsonLinePerLoadToThisJvmsFile() throws Exception {
    ModelKey unet = new ModelKey("/m/diffusion", "unet", "cpu()", "float32", Map.of());
    ModelKey vae = new ModelKey("/m/diffusion", "vae_decoder", "cpu()", "float32", Map.of("trainParam", "false"));
    Path file = ModelLoadLog.append(dir.resolve("sub"), unet, 12);
    assertThat(ModelLoadLog.append(dir.resolve("sub"), vae, 3)).isEqualTo(file);

    long pid = ProcessHandle.current().pid();
    assertThat(file.getFileName().toString()).isEqualTo("loads-" + pid + ".jsonl");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertThat(first.get("pid").getAsLong()).isEqualTo(pid);
    assertThat(first.get("model").getAsString()).isEqualTo(unet.toString());
    assertThat(first.get("component").getAsString()).isEqualTo("unet");
    assertThat(first.get("ms").getAsLong()).isEqualTo(12);
    assertThat(JsonParser.parseString(lines.get(1)).getAsJsonObject().get("model").getAsString())
        .isEqualTo(vae.toString());
  }
}
