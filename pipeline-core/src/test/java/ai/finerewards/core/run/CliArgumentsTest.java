package ai.finerewards.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CliArgumentsTest {

  private static CliArguments parse(String... args) {
    return CliArguments.parse(args);
  }

  @Test
  void parsesAStageCommand() {
    CliArguments a = parse("rank", "--conf", "c.conf", "--set", "rank.keep-per-prompt=2", "--round", "3", "--set", "x=y");
    assertThat(a.command()).contains(Stage.RANK);
    assertThat(a.isRun()).isFalse();
    assertThat(a.confFile()).contains("c.conf");
    assertThat(a.sets()).containsExactly("rank.keep-per-prompt=2", "x=y");
    assertThat(a.round()).isEqualTo(3);
  }

  @Test
  void parsesRunWithResumeOptions() {
    CliArguments a = parse("run", "--rounds", "2", "--from-stage", "rank", "--force");
    assertThat(a.isRun()).isTrue();
    assertThat(a.rounds()).contains(2);
    assertThat(parse("run").rounds()).isEmpty();
    assertThat(a.fromStage()).contains(Stage.RANK);
    assertThat(a.force()).isTrue();
    assertThat(a.confFile()).isEqualTo(Optional.empty());
    assertThat(a.sets()).isEqualTo(List.of());
    assertThat(a.toStage()).isEmpty();
  }

  @Test
  void toStageBoundsARunAndMustNotComeBeforeFromStage() {
    assertThat(parse("run", "--to-stage", "rank").toStage()).contains(Stage.RANK);
    assertThat(CliArguments.DEFAULT_TO_STAGE).isEqualTo(Stage.REPORT);
    assertThatThrownBy(() -> parse("run", "--from-stage", "train", "--to-stage", "rank"))
        .isInstanceOf(CliArguments.UsageError.class)
        .hasMessage("--from-stage train comes after --to-stage rank");
    assertThatThrownBy(() -> parse("run", "--to-stage", "paint"))
        .hasMessageStartingWith("--to-stage paint: expected one of");
    assertThatThrownBy(() -> parse("rank", "--conf", "c.conf", "--to-stage", "rank"))
        .hasMessage("argument --to-stage is only valid with 'run'");
  }

  @Test
  void statusTakesRunsRoundsConfAndSetsButNoRunOptions() {
    CliArguments a = parse("status", "--rounds", "2", "--conf", "c.conf", "--set", "x=y");
    assertThat(a.status()).isTrue();
    assertThat(a.isRun()).isFalse();
    assertThat(a.command()).isEmpty();
    assertThat(a.rounds()).contains(2);
    assertThatThrownBy(() -> parse("status", "--force")).isInstanceOf(CliArguments.UsageError.class)
        .hasMessage("argument --force is only valid with 'run'");
    assertThatThrownBy(() -> parse("status", "--round", "1")).isInstanceOf(CliArguments.UsageError.class);
    assertThat(parse("run").status()).isFalse();
  }

  @Test
  void helpWinsAnywhere() {
    assertThat(parse("rank", "--bogus", "--help").help()).isTrue();
    assertThat(CliArguments.USAGE).contains("finerewards run [--rounds R]").contains("exit codes");
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> parse()).hasMessageContaining("missing command");
    assertThatThrownBy(() -> parse("rnk", "--conf", "c")).hasMessageContaining("unknown command 'rnk'").hasMessageContaining("rank");
    assertThatThrownBy(() -> parse("rank", "--conf", "c", "--colour")).hasMessageContaining("unknown argument '--colour'");
    assertThatThrownBy(() -> parse("rank", "--round", "x", "--conf", "c")).hasMessageContaining("--round x: expected an integer");
    assertThatThrownBy(() -> parse("rank", "--round", "-1", "--conf", "c")).hasMessageContaining("--round -1");
    assertThatThrownBy(() -> parse("rank", "--conf")).hasMessageContaining("--conf needs a value");
    assertThatThrownBy(() -> parse("rank")).hasMessageContaining("rank needs --conf FILE");
    assertThatThrownBy(() -> parse("rank", "--conf", "c", "--set", "novalue")).hasMessageContaining("--set novalue: expected key=value");
    assertThatThrownBy(() -> parse("run", "--rounds", "0")).hasMessageContaining("--rounds 0: expected an integer >= 1");
    assertThatThrownBy(() -> parse("run", "--rounds", "1", "--from-stage", "sort")).hasMessageContaining("--from-stage sort");
    assertThatThrownBy(() -> parse("run", "--rounds", "1", "--round", "0")).hasMessageContaining("--round is only valid with a single stage");
    assertThatThrownBy(() -> parse("rank", "--conf", "c", "--force")).hasMessageContaining("--force is only valid with 'run'");
  }
}
