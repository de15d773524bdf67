package ai.finerewards.schemas.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One local[2] SparkSession per test class (the project's SparkTestBase settings; data-schemas cannot see pipeline-jobs). */
abstract class LocalSparkTest {

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder()
        .master("local[2]")
        .appName("data-schemas-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    SparkSession current = spark;
    spark = null;
    if (current != null) {
      current.stop();
    }
    // getOrCreate would otherwise hand the next class this stopped session.
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }
}
