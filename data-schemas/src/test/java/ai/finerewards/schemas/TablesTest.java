package ai.finerewards.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class TablesTest {

  @Test
  void everyTableOfTheDesignHasAContract() {
    assertThat(Tables.all()).extracting(TableContract::name).containsExactly(
        "prompts", "samples", "captions", "segments", "llm_scores", "ranked", "train_metrics", "checkpoint",
        "evaluations", "report");
    for (TableContract t : Tables.all()) {
      assertThat(Tables.byName(t.name())).isSameAs(t);
    }
  }

  @Test
  void everyColumnAndNestedFieldSaysWhatItMeans() {
    for (TableContract t : Tables.all()) {
      assertThat(t.doc()).as(t.name()).isNotBlank();
      assertThat(t.readBy()).as(t.name()).isNotEmpty();
      t.columns().forEach(c -> assertDocumented(t.name(), c));
    }
  }

  private static void assertDocumented(String path, ColumnSpec c) {
    assertThat(c.doc()).as(path + "." + c.name() + " doc").isNotBlank();
    ColumnType type = c.type();
    while (type instanceof ColumnType.ArrayOf a) {
      type = a.element();
    }
    if (type instanceof ColumnType.StructOf s) {
      s.fields().forEach(f -> assertDocumented(path + "." + c.name(), f));
    }
  }

  @Test
  void unknownTableListsTheKnownOnes() {
    assertThatThrownBy(() -> Tables.byName("sample"))
        .isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("no table contract named 'sample'")
        .hasMessageContaining("samples");
  }

  @Test
  void perSampleTablesShareTheKeyAndArePartitionedByRound() {
    for (TableContract t : List.of(Tables.SAMPLES, Tables.CAPTIONS, Tables.SEGMENTS, Tables.LLM_SCORES, Tables.RANKED)) {
      assertThat(t.keyColumns()).as(t.name()).containsExactly("round", "prompt_id", "sample_idx");
      assertThat(t.partitionColumns()).as(t.name()).containsExactly("round");
      assertThat(t.columnNames().subList(0, 3)).as(t.name()).containsExactly("round", "prompt_id", "sample_idx");
      assertThat(t.column("round").orElseThrow().type()).isEqualTo(ColumnType.Primitive.INT);
    }
  }

  @Test
  void imageIsTheHuggingFaceImageFeatureStruct() {
    ColumnType image = Tables.SAMPLES.column("image").orElseThrow().type();
    assertThat(image.ddl()).isEqualTo("struct<bytes:binary,path:string>");
  }

  @Test
  void contractRejectsANullableKeyAndDuplicateColumns() {
    ColumnSpec id = ColumnSpec.optional("id", ColumnType.Primitive.STRING, "an id", "");
    assertThatThrownBy(() -> new TableContract("t", 1, Storage.PARQUET, "t/", "doc", "w", List.of(), List.of(),
        List.of("id"), List.of(id)))
        .hasMessageContaining("table t: key column id must not be nullable");
    assertThatThrownBy(() -> new TableContract("t", 1, Storage.PARQUET, "t/", "doc", "w", List.of(), List.of(),
        List.of(), List.of(id, id)))
        .hasMessageContaining("table t: column id listed twice");
  }
}
