package ai.finerewards.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.jobs.RunFixtures.CliResult;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.core.run.CommitMarker;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineRewardsCliTest extends SparkTestBase {
  @TempDir Path tmp;
  RoundTables tables;
  String conf;

  @BeforeEach
  void setUp() throws Exception {
    conf = RunFixtures.conf(tmp, "").toString();
    tables = new RoundTables(spark, tmp.resolve("run").toUri().toString(), "test");
  }

  void rewards(String captions) {
    RunFixtures.captions(spark, tables, 0, captions);
    RunFixtures.llmScores(spark, tables, 0, "('a', 0, 0.1), ('a', 1, 0.3)");
  }

  CommitMarker rankedMarker() {
    return tables.store().committed("ranked", 0).orElseThrow();
  }

  @Test
  void everyStageIsBuilt() {
    // The "not built yet" answer (exit code 2) stays for stages added later; today every stage has a job.
    assertThat(StageJobs.available()).isEqualTo(ai.finerewards.core.run.Stage.cliNames());
  }

  @Test
  void runResumesSkippingAStageWhoseInputsConfigAndCodeAreUnchanged() {
    rewards("('a', 0, 0.9), ('a', 1, 0.5)");
    // Only rank runs: the stages before it are skipped by --from-stage, train by --to-stage.
    String[] onlyRank = {"run", "--rounds", "1", "--from-stage", "rank", "--to-stage", "rank", "--conf", conf};
    CliResult first = RunFixtures.cli(spark, onlyRank);
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).contains("generate round=0: not run (before --from-stage rank)").contains("rank round=0: 2/2 rows")
        .doesNotContain("train round=0");
    CommitMarker m1 = rankedMarker();

    CliResult again = RunFixtures.cli(spark, onlyRank);
    assertThat(again.out()).contains("rank round=0: up to date, skipped (2 rows committed " + m1.committedAt());
    assertThat(rankedMarker()).isEqualTo(m1);

    CliResult changedConfig = RunFixtures.cli(spark, "run", "--rounds", "1", "--from-stage", "rank", "--to-stage", "rank",
        "--conf", conf, "--set", "rank.method=zscore");
    assertThat(changedConfig.out()).doesNotContain("skipped").contains("rank round=0: 2/2 rows");
    CommitMarker m2 = rankedMarker();
    assertThat(m2.fingerprint()).isNotEqualTo(m1.fingerprint());

    CliResult forced = RunFixtures.cli(spark, "run", "--rounds", "1", "--from-stage", "rank", "--to-stage", "rank", "--force",
        "--conf", conf, "--set", "rank.method=zscore");
    assertThat(forced.out()).doesNotContain("skipped");
    assertThat(rankedMarker().fingerprint()).isEqualTo(m2.fingerprint());
    assertThat(rankedMarker().committedAt()).isNotEqualTo(m2.committedAt());

    rewards("('a', 0, 0.1), ('a', 1, 0.5)"); // a new captions commit: rank must run again
    CliResult newInput = RunFixtures.cli(spark, "run", "--rounds", "1", "--from-stage", "rank", "--to-stage", "rank",
        "--conf", conf, "--set", "rank.method=zscore");
    assertThat(newInput.out()).doesNotContain("skipped");
    assertThat(rankedMarker().fingerprint()).isNotEqualTo(m2.fingerprint());
  }

  @Test
  void helpAndBadArgumentsPrintUsage() {
    CliResult help = RunFixtures.cli(spark, "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).startsWith("usage: finerewards <stage> --conf FILE");

    CliResult bad = RunFixtures.cli(spark, "rank", "--conf", conf, "--rouns", "1");
    assertThat(bad.exitCode()).isEqualTo(64);
    assertThat(bad.err()).startsWith("finerewards: unknown argument '--rouns'").contains("usage: finerewards");
  }

  @Test
  void badConfigurationExitsWith78NamingTheKeyOrFile() {
    CliResult badValue = RunFixtures.cli(spark, "rank", "--conf", conf, "--set", "rank.method=best");
    assertThat(badValue.exitCode()).isEqualTo(78);
    assertThat(badValue.err()).contains("finerewards.rank.method = best");

    CliResult unknownKey = RunFixtures.cli(spark, "rank", "--conf", conf, "--set", "rank.metod=zscore");
    assertThat(unknownKey.exitCode()).isEqualTo(78);
    assertThat(unknownKey.err()).contains("finerewards.rank.metod");

    CliResult missingFile = RunFixtures.cli(spark, "rank", "--conf", tmp.resolve("nope.conf").toString());
    assertThat(missingFile.exitCode()).isEqualTo(78);
    assertThat(missingFile.err()).contains("nope.conf");
  }

  @Test
  void runExecutesOnlyTheStagesOfJobsRunStages() {
    rewards("('a', 0, 0.9), ('a', 1, 0.5)");
    CliResult r = RunFixtures.cli(spark, "run", "--rounds", "1", "--to-stage", "rank", "--conf", conf,
        "--set", "jobs.run-stages=[rank]");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("generate round=0: not run (not in finerewards.jobs.run-stages)")
        .contains("score round=0: not run (not in finerewards.jobs.run-stages)")
        .contains("rank round=0: 2/2 rows")
        .doesNotContain("train round=0");
    assertThat(tables.store().committed("samples", 0)).isEmpty();
    assertThat(rankedMarker().rowCount()).isEqualTo(2);
  }

  @Test
  void aBadRunStagesListFailsBeforeSparkWorkWith78() {
    CliResult unknown = RunFixtures.cli(spark, "run", "--conf", conf, "--set", "jobs.run-stages=[generate, rnak]");
    assertThat(unknown.exitCode()).isEqualTo(78);
    assertThat(unknown.err()).contains("finerewards.jobs.run-stages = rnak: expected a stage name: generate, caption");
    CliResult twice = RunFixtures.cli(spark, "run", "--conf", conf, "--set", "jobs.run-stages=[rank, rank]");
    assertThat(twice.exitCode()).isEqualTo(78);
    assertThat(twice.err()).contains("each stage once, found rank twice");
    CliResult empty = RunFixtures.cli(spark, "run", "--conf", conf, "--set", "jobs.run-stages=[]");
    assertThat(empty.exitCode()).isEqualTo(78);
    assertThat(empty.err()).contains("at least one stage");
  }
}
