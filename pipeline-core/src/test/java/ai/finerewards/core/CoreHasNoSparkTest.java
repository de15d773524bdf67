package ai.finerewards.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** STYLE convention 1: pipeline-core is testable without Spark and never imports it. */
class CoreHasNoSparkTest {
  @Test
  void sparkIsNotOnCoresClassPath() {
    assertThatThrownBy(() -> Class.forName("org.apache.spark.SparkContext"))
        .isInstanceOf(ClassNotFoundException.class);
  }

  @Test
  void noCoreSourceMentionsSparkPackages() throws IOException {
    Path src = Paths.get(System.getProperty("finerewards.repo.root", ".."))
        .resolve("pipeline-core/src/main/java");
    assertThat(src).isDirectory();
    List<String> offenders;
    try (Stream<Path> files = Files.walk(src)) {
      offenders = files.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> {
            try {
              return Files.readString(p).contains("org.apache.spark");
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(Path::toString)
          .toList();
    }
    assertThat(offenders).as("pipeline-core sources that mention org.apache.spark").isEmpty();
  }
}
