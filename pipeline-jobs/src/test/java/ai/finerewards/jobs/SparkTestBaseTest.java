package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SparkTestBaseTest extends SparkTestBase {

  @Test
  void sessionIsLocalOnLoopbackWithoutUi() {
    assertThat(spark.sparkContext().master()).isEqualTo("local[2]");
    assertThat(spark.conf().get("spark.driver.host")).isEqualTo("127.0.0.1");
    assertThat(spark.conf().get("spark.ui.enabled")).isEqualTo("false");
    assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo("4");
  }

  @Test
  void sqlReturnsPlainJavaRowsIncludingNestedValues() {
    List<Object[]> rows =
        sql("SELECT id, CAST(id * 2 AS DOUBLE) AS d, array(id, id + 1) AS a, named_struct('x', id) AS s"
            + " FROM range(%d) ORDER BY id", 2);
    assertEquals(
        "range",
        rows(row(0L, 0.0, List.of(0L, 1L), row(0L)), row(1L, 2.0, List.of(1L, 2L), row(1L))),
        rows);
  }

  @Test
  void rowByRowAssertionNamesTheDifference() {
    assertThatThrownBy(() -> assertEquals("t", rows(row(1L, "a")), rows(row(1L, "b"))))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("t: row 0 column 1");
  }
}
