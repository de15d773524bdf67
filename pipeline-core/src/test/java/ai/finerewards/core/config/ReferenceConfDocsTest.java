package ai.finerewards.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

class ReferenceConfDocsTest {
  @Test
  void everyKeyOfTheShippedReferenceConfIsDocumented() throws IOException {
    Path ref = Paths.get(System.getProperty("finerewards.repo.root", "."))
        .resolve("pipeline-core/src/main/resources/reference.conf");
    String text = Files.readString(ref, StandardCharsets.UTF_8);
    assertThat(ReferenceConfDocs.undocumentedKeys(text, ref.toString()))
        .as("keys of %s without a comment line directly above", ref)
        .isEmpty();
  }

  @Test
  void findsKeysWithoutACommentDirectlyAbove() {
    String text = String.join("\n",
        "a {",
        "  # documented",
        "  x = 1",
        "  # a blank line separates this comment from its key",
        "",
        "  y = 2",
        "  z = 3 # a trailing comment is not a comment line above",
        "  // documented too",
        "  w.v = [1,",
        "    2]",
        "  # an open map: its entries are data @open",
        "  weights {",
        "    caption = 1.0",
        "  }",
        "  open2 { # @open on the same line does not make an open map",
        "    k = 1",
        "  }",
        "}",
        "");
    assertThat(ReferenceConfDocs.undocumentedKeys(text, "test"))
        .containsExactlyInAnyOrder("a.y (line 6)", "a.z (line 7)", "a.open2.k (line 16)");
  }
}
