package ai.finerewards.jobs;

import ai.finerewards.jobs.io.RoundTables;
import com.typesafe.config.Config;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/**
 * What a stage job gets to run one round: the session, the effective config (rooted above
 * {@code finerewards}), the run's tables, the fingerprint to store in its commit marker, and the
 * console for its summary.
 */
public record StageContext(
    SparkSession spark, Config config, int round, RoundTables tables, String fingerprint, PrintStream out) {}
