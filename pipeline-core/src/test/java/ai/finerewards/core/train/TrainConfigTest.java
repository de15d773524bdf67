package ai.finerewards.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  private static Config with(String hocon) {
    return ConfigFactory.parseString(hocon)
        .withFallback(ConfigFactory.defaultReference().getConfig("finerewards.train"));
  }

  @Test
  void defaultsAreTheReferenceHyperParameters() {
    TrainConfig c = TrainConfig.from(with(""));
    assertThat(c.learningRate()).isEqualTo(9e-6);
    assertThat(c.batchSize()).isEqualTo(8);
    assertThat(c.samplesPerStep()).isEqualTo(8);
    // About 10 optimiser steps per kept sample.
    assertThat(c.stepBudget(100)).isEqualTo(1000);
    assertThat(TrainConfig.from(with("max-steps = 250")).stepBudget(100)).isEqualTo(250);
    assertThat(TrainConfig.from(with("steps-per-sample = 0.5")).stepBudget(3)).isEqualTo(2);
    assertThat(c.roundSeed(0)).isNotEqualTo(c.roundSeed(1));
  }

  @Test
  void warmUpRampsLinearlyAsDiffusersConstantWithWarmup() {
    OptimizerSettings s = TrainConfig.from(with("learning-rate = 1e-4, warmup-steps = 4")).optimizer();
    assertThat(s.lrAt(1)).isEqualTo(0.0);
    assertThat(s.lrAt(3)).isCloseTo(5e-5, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.lrAt(5)).isEqualTo(1e-4);
    assertThat(s.lrAt(50)).isEqualTo(1e-4);
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> TrainConfig.from(with("learning-rate = 0")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("finerewards.train.learning-rate = 0");
    assertThatThrownBy(() -> TrainConfig.from(with("batch-size = 0")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("train.batch-size");
    assertThatThrownBy(() -> TrainConfig.from(with("adam-beta2 = 1")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("train.adam-beta2");
    assertThatThrownBy(() -> TrainConfig.from(with("checkpoint-every = often")))
        .isInstanceOf(ConfigError.class).hasMessageContaining("train.checkpoint-every");
  }
}
