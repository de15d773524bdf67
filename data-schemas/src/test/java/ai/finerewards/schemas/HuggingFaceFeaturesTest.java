package ai.finerewards.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HuggingFaceFeaturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode features(TableContract t) throws Exception {
    return JSON.readTree(HuggingFaceFeatures.metadataJson(t)).get("info").get("features");
  }

  @Test
  void samplesCarryEveryDataColumnInFileOrderWithTheImageAsAnImageFeature() throws Exception {
    JsonNode f = features(Tables.SAMPLES);
    List<String> names = new ArrayList<>();
    f.fieldNames().forEachRemaining(names::add);
    assertThat(names).isEqualTo(Tables.SAMPLES.dataColumns().stream().map(ColumnSpec::name).toList())
        .doesNotContain("round"); // a directory name, not in the files
    assertThat(f.get("image").toString()).isEqualTo("{\"_type\":\"Image\"}");
    assertThat(f.get("prompt").toString()).isEqualTo("{\"dtype\":\"string\",\"_type\":\"Value\"}");
    assertThat(f.get("seed").get("dtype").asText()).isEqualTo("int64");
    assertThat(f.get("guidance_scale").get("dtype").asText()).isEqualTo("float64");
    assertThat(f.get("created_at").get("dtype").asText()).isEqualTo("timestamp[ns]");
  }

  @Test
  void onlyTablesWithAnImageColumnGetFeaturesAndEachOfThemCanHaveThem() throws Exception {
    for (TableContract t : Tables.all()) {
      boolean image = t.storage() == Storage.PARQUET && t.columns().stream().anyMatch(c -> c.type().equals(Tables.IMAGE));
      assertThat(HuggingFaceFeatures.hasImage(t)).as(t.name()).isEqualTo(image);
      if (image) {
        assertThat(features(t).size()).as(t.name()).isEqualTo(t.dataColumns().size()); // no map column
      }
    }
  }

  @Test
  void nestedStructsArraysAndImagesUseTheSpellingEveryDatasetsReleaseReads() throws Exception {
    ColumnSpec part = ColumnSpec.required("score", Primitive.FLOAT, "a score", "");
    TableContract t = new TableContract("t", 1, "test", "w", List.of("r"), List.of("round"), List.of("round"), List.of(
        ColumnSpec.required("round", Primitive.INT, "round", ""),
        ColumnSpec.optional("parts", new ArrayOf(new StructOf(List.of(part)), false), "parts", ""),
        ColumnSpec.optional("crops", new ArrayOf(Tables.IMAGE, true), "images", ""),
        ColumnSpec.optional("ok", Primitive.BOOLEAN, "flag", "")));
    assertThat(HuggingFaceFeatures.hasImage(t)).isTrue();
    assertThat(features(t).toString()).isEqualTo("{\"parts\":[{\"score\":{\"dtype\":\"float32\",\"_type\":\"Value\"}}],"
        + "\"crops\":[{\"_type\":\"Image\"}],\"ok\":{\"dtype\":\"bool\",\"_type\":\"Value\"}}");
  }

  @Test
  void aMapColumnHasNoDatasetsFeatureAndTheErrorNamesTableAndColumn() {
    TableContract t = new TableContract("maps", 1, "test", "w", List.of("r"), List.of(), List.of("id"), List.of(
        ColumnSpec.required("id", Primitive.STRING, "id", ""),
        ColumnSpec.required("image", Tables.IMAGE, "image", ""),
        ColumnSpec.optional("rewards", new MapOf(Primitive.DOUBLE), "rewards", "")));
    assertThatThrownBy(() -> HuggingFaceFeatures.metadataJson(t))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("table maps: column rewards is a map<string,double>");
  }
}
