package ai.finerewards.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.TinyModelFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configured libtorch thread counts reach the engine through ModelRuntime, in this JVM. */
class EngineThreadsTest {
  @Test
  void runtimeSetsTheConfiguredIntraOpThreadsBeforeAnyModelRuns() {
    EngineThreads before = EngineThreads.current();
    try {
      ModelRuntime two = ModelRuntime.from(TinyModelFixtures.config("finerewards.models.intra-op-threads = 2"));
      assertThat(two.models().threads()).isEqualTo(new EngineThreads(2, 1));
      two.device(List.of());
      assertThat(EngineThreads.current().intraOp()).isEqualTo(2);

      ModelRuntime defaults = ModelRuntime.from(TinyModelFixtures.config(""));
      assertThat(defaults.models().threads()).as("reference.conf default").isEqualTo(new EngineThreads(1, 1));
      defaults.device(List.of());
      assertThat(EngineThreads.current().intraOp()).isEqualTo(1);
    } finally {
      new EngineThreads(before.intraOp(), before.interOp()).apply();
    }
  }

  @Test
  void countsBelowOneAreRejected() {
    assertThatThrownBy(() -> new EngineThreads(0, 1)).hasMessageContaining("intra-op 0");
  }
}
