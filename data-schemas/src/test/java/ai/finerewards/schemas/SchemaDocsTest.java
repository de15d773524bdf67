package ai.finerewards.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed documents under data-schemas/docs must equal what SchemaDocs renders from Tables.
 * Run with -Dfinerewards.docs.regenerate=true to rewrite them instead.
 */
class SchemaDocsTest {

  private static Path docsDir() {
    String root = System.getProperty("finerewards.repo.root");
    Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    return base.resolve("data-schemas").resolve("docs");
  }

  @Test
  void committedDocsAreUpToDate() throws IOException {
    Path dir = docsDir();
    Map<String, String> expected = SchemaDocs.render(Tables.all());
    if (Boolean.getBoolean("finerewards.docs.regenerate")) {
      SchemaDocs.write(dir, Tables.all());
    }
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path file = dir.resolve(e.getKey());
      String stale = "schema document " + file + " is missing or stale; regenerate with:\n  "
          + SchemaDocs.REGENERATE_COMMAND + "\nand commit the result";
      assertThat(Files.exists(file)).as(stale).isTrue();
      assertThat(Files.readString(file, StandardCharsets.UTF_8)).as(stale).isEqualTo(e.getValue());
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("documents in " + dir + " without a contract (delete them)")
          .containsExactlyInAnyOrderElementsOf(expected.keySet());
    }
  }

  @Test
  void aTableDocumentListsNestedFieldsWithTypesUnitsAndStages() {
    String doc = SchemaDocs.renderTable(Tables.SEGMENTS);
    assertThat(doc)
        .contains("# segments (contract version 1)")
        .contains("| written by | segment |")
        .contains("| read by | score, report |")
        .contains("| key | `round`, `prompt_id`, `sample_idx` |")
        .contains("| partitioned by | `round` |")
        .contains("| `parts[].bbox.x0` | `int` | no | pixels | left edge, inclusive |")
        .contains("| `parts[].mask_rle.size` | `array<int>` | no | pixels |");
  }
}
