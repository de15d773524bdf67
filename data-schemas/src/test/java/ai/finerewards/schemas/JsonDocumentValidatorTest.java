package ai.finerewards.schemas;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonDocumentValidatorTest {

  /** A checkpoint manifest as an untyped JSON parse (Gson) gives it: numbers are doubles. */
  private static Map<String, Object> manifest() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("contract_version", 2.0);
    m.put("checkpoint_id", "r0-0123456789ab");
    m.put("round", 0.0);
    m.put("base_model_id", "sd15");
    m.put("parent_checkpoint_id", null);
    m.put("weights_file", "pytorch_lora_weights.safetensors");
    m.put("weights_sha256", "0123456789ab" + "0".repeat(52));
    m.put("lora_rank", 4.0);
    m.put("lora_alpha", 4.0);
    m.put("target_modules", List.of("to_q", "to_k", "to_v", "to_out.0"));
    m.put("steps", 10.0);
    m.put("samples", 8.0);
    m.put("data_rounds", List.of(0.0));
    m.put("batch_size", 8.0);
    m.put("learning_rate", 9e-6);
    m.put("seed", 20240101.0);
    m.put("final_loss", 0.12);
    m.put("created_at", "2026-11-26T12:00:00Z");
    return m;
  }

  @Test
  void aValidManifestPasses() {
    JsonDocumentValidator.validate(Tables.CHECKPOINT, manifest(), "checkpoint.json");
  }

  @Test
  void eachDefectIsNamed() {
    Map<String, Object> m = manifest();
    m.remove("weights_sha256");
    m.put("lora_rank", 4.5);
    m.put("contract_version", 1.0);
    m.put("data_rounds", List.of(0.5));
    m.put("created_at", "yesterday");
    m.put("extra", true);
    assertThatThrownBy(() -> JsonDocumentValidator.validate(Tables.CHECKPOINT, m, "/runs/x/checkpoint.json"))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("table checkpoint (read /runs/x/checkpoint.json)")
        .hasMessageContaining("column weights_sha256: expected string not null, found no such field")
        .hasMessageContaining("column lora_rank: expected int, found number 4.5")
        .hasMessageContaining("column contract_version: expected contract version 2, found version number 1.0")
        .hasMessageContaining("column data_rounds[0]: expected int")
        .hasMessageContaining("column created_at: expected timestamp, found string yesterday")
        .hasMessageContaining("column extra: expected no such field");
  }

  @Test
  void nullInANonNullFieldFails() {
    Map<String, Object> m = manifest();
    m.put("steps", null);
    assertThatThrownBy(() -> JsonDocumentValidator.validate(Tables.CHECKPOINT, m, "c.json"))
        .hasMessageContaining("column steps: expected int not null, found null");
  }
}
