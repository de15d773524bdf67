package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import scala.collection.JavaConverters;

/**
 * One local[2] SparkSession per test class, plus helpers to turn rows into plain Java values
 * and compare them row by row (the pattern of Iceberg's Spark TestBase). Subclasses use the
 * static {@link #spark} field; JUnit runs {@link #startSpark()} before the first test of each
 * class and {@link #stopSpark()} after the last.
 */
public abstract class SparkTestBase {

  protected static SparkSession spark;

  @BeforeAll
  public static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("finerewards-test")
            // Loopback only: tests must not depend on the host's network name.
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.sql.session.timeZone", "UTC")
            // A failing task fails its job at once instead of being retried (local mode default is 1 too; be explicit).
            .config("spark.task.maxFailures", "1")
            .getOrCreate();
  }

  @AfterAll
  public static void stopSpark() {
    SparkSession current = spark;
    spark = null;
    if (current != null) {
      current.stop();
    }
    // getOrCreate would otherwise hand the next class this stopped session.
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Runs a query and returns its rows as arrays of plain Java values. */
  protected static List<Object[]> sql(String query, Object... args) {
    List<Row> rows = spark.sql(args.length > 0 ? String.format(query, args) : query).collectAsList();
    return rowsToJava(rows);
  }

  /** One expected row, for {@link #assertEquals(String, List, List)}. */
  protected static Object[] row(Object... values) {
    return values;
  }

  /** Expected rows, for {@link #assertEquals(String, List, List)}. */
  protected static List<Object[]> rows(Object[]... rows) {
    return List.of(rows);
  }

  protected static List<Object[]> rowsToJava(List<Row> rows) {
    List<Object[]> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(toJava(r));
    }
    return out;
  }

  private static Object[] toJava(Row row) {
    Object[] values = new Object[row.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = toJava(row.isNullAt(i) ? null : row.get(i));
    }
    return values;
  }

  private static Object toJava(Object value) {
    if (value instanceof Row r) {
      return toJava(r);
    } else if (value instanceof scala.collection.Seq<?> seq) {
      List<Object> list = new ArrayList<>();
      for (Object element : JavaConverters.seqAsJavaList(seq)) {
        list.add(toJava(element));
      }
      return list;
    } else if (value instanceof scala.collection.Map<?, ?> map) {
      Map<?, ?> javaMap = JavaConverters.mapAsJavaMap(map);
      java.util.TreeMap<Object, Object> out = new java.util.TreeMap<>();
      javaMap.forEach((k, v) -> out.put(toJava(k), toJava(v)));
      return out;
    } else if (value instanceof BigDecimal d) {
      return d.stripTrailingZeros();
    }
    return value;
  }

  /** Compares rows one by one, naming the row and column of the first difference. */
  protected static void assertEquals(String context, List<Object[]> expected, List<Object[]> actual) {
    assertThat(actual).as("%s: number of rows", context).hasSize(expected.size());
    for (int r = 0; r < expected.size(); r++) {
      assertEquals(context + ": row " + r, expected.get(r), actual.get(r));
    }
  }

  protected static void assertEquals(String context, Object[] expected, Object[] actual) {
    assertThat(actual).as("%s: number of columns", context).hasSize(expected.length);
    for (int c = 0; c < expected.length; c++) {
      Object e = expected[c];
      Object a = actual[c];
      if (e instanceof Object[] nestedE && a instanceof Object[] nestedA) {
        assertEquals(context + " column " + c, nestedE, nestedA);
      } else {
        assertThat(a).as("%s column %d", context, c).isEqualTo(e);
      }
    }
  }
}
