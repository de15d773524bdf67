package ai.finerewards.core.rank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.finerewards.core.config.ConfigError;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class RankConfigTest {

  /** The user's HOCON for the rank section, over the defaults of reference.conf. */
  private static RankConfig parse(String hocon) {
    Config defaults = ConfigFactory.defaultReference().getConfig("finerewards.rank");
    return RankConfig.from(ConfigFactory.parseString(hocon).withFallback(defaults));
  }

  @Test
  void referenceDefaultsAreTheReferenceMethod() {
    RankConfig config = parse("");
    assertThat(config.method()).isEqualTo(RankMethod.RANK_SUM);
    assertThat(config.rewards())
        .containsExactly(
            new RewardSpec("caption_reward", 1.0, true), new RewardSpec("sam_reward", 1.0, true));
    assertThat(config.keepPerPrompt()).isEqualTo(1);
    assertThat(config.minCandidatesPerPrompt()).isEqualTo(1);
    assertThat(config.globalTopFraction()).isEqualTo(1.0);
    assertThat(config.globalCutEnabled()).isFalse();
  }

  @Test
  void overridesReplaceTheRewardListAndSetWeightsAndDirections() {
    RankConfig config =
        parse(
            """
            method = zscore
            rewards = [clip_score, aesthetic_loss, caption_reward]
            weights { aesthetic_loss = 0.5, caption_reward = 0 }
            higher-is-better { aesthetic_loss = false }
            keep-per-prompt = 2
            min-candidates-per-prompt = 4
            global-top-fraction = 0.25
            """);
    assertThat(config.method()).isEqualTo(RankMethod.ZSCORE);
    // The list replaced the default [caption_reward, sam_reward]; order is kept.
    assertThat(config.rewards())
        .containsExactly(
            new RewardSpec("clip_score", 1.0, true),
            new RewardSpec("aesthetic_loss", 0.5, false),
            new RewardSpec("caption_reward", 0.0, true));
    assertThat(config.keepPerPrompt()).isEqualTo(2);
    assertThat(config.minCandidatesPerPrompt()).isEqualTo(4);
    assertThat(config.globalTopFraction()).isEqualTo(0.25);
    assertThat(config.globalCutEnabled()).isTrue();
  }

  @Test
  void setStyleOverridesWithStringValuesParse() {
    // --set rank.weights.sam_reward="2" may arrive as a string.
    RankConfig config = parse("weights.sam_reward = \"2\"\nhigher-is-better.sam_reward = \"false\"");
    assertThat(config.reward("sam_reward")).isEqualTo(new RewardSpec("sam_reward", 2.0, false));
  }

  @Test
  void eachBadValueNamesItsKey() {
    expectError("method = borda", "finerewards.rank.method = borda", "rank-sum | zscore | weighted-sum");
    expectError("method = 3", "finerewards.rank.method = 3", "rank-sum");
    expectError("rewards = []", "finerewards.rank.rewards = []", "non-empty list");
    expectError("rewards = caption_reward", "finerewards.rank.rewards = \"caption_reward\"", "a list");
    expectError("rewards = [a, a]", "finerewards.rank.rewards", "'a' repeats");
    expectError("rewards = [\"caption reward\"]", "finerewards.rank.rewards", "'caption reward'");
    expectError("weights { sam_reward = -1 }", "finerewards.rank.weights.sam_reward = -1", ">= 0");
    expectError("weights { sam_reward = heavy }", "finerewards.rank.weights.sam_reward = \"heavy\"", "number");
    expectError(
        "weights { clip_score = 1 }",
        "finerewards.rank.weights.clip_score = 1",
        "a reward listed in finerewards.rank.rewards [caption_reward, sam_reward]");
    expectError(
        "weights { caption_reward = 0, sam_reward = 0 }", "finerewards.rank.weights", "weight > 0");
    expectError("weights = 1", "finerewards.rank.weights = 1", "an object");
    expectError("higher-is-better { sam_reward = maybe }", "finerewards.rank.higher-is-better.sam_reward", "true or false");
    expectError("higher-is-better { nope = false }", "finerewards.rank.higher-is-better.nope", "a reward listed");
    expectError("keep-per-prompt = 0", "finerewards.rank.keep-per-prompt = 0", "an integer >= 1");
    expectError("keep-per-prompt = two", "finerewards.rank.keep-per-prompt = \"two\"", "an integer >= 1");
    expectError("keep-per-prompt = 1.5", "finerewards.rank.keep-per-prompt", "an integer >= 1");
    expectError("min-candidates-per-prompt = -2", "finerewards.rank.min-candidates-per-prompt = -2", ">= 1");
    expectError("global-top-fraction = 0", "finerewards.rank.global-top-fraction = 0.0", "(0, 1]");
    expectError("global-top-fraction = 1.5", "finerewards.rank.global-top-fraction = 1.5", "(0, 1]");
    expectError("global-top-fraction = half", "finerewards.rank.global-top-fraction = \"half\"", "(0, 1]");
    expectError("keep-per-promt = 2", "finerewards.rank.keep-per-promt = 2", "one of the known keys");
  }

  @Test
  void missingKeyWithoutReferenceIsNamed() {
    Config bare = ConfigFactory.parseString("method = rank-sum\nrewards = [a]\nweights {}\nhigher-is-better {}");
    assertThatThrownBy(() -> RankConfig.from(bare))
        .isInstanceOf(ConfigError.class)
        .hasMessage("config key finerewards.rank.keep-per-prompt = (missing): expected an integer >= 1");
  }

  @Test
  void recordConstructorValidatesToo() {
    assertThatThrownBy(
            () -> new RankConfig(RankMethod.RANK_SUM, List.of(new RewardSpec("a", 1, true)), 0, 1, 1.0))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("finerewards.rank.keep-per-prompt = 0");
  }

  @Test
  void configIsSerializableForSparkClosures() throws Exception {
    RankConfig config = parse("weights { sam_reward = 0.5 }");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(new PromptRanker(config));
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(((PromptRanker) in.readObject()).config()).isEqualTo(config);
    }
  }

  private static void expectError(String hocon, String keyAndValue, String expected) {
    assertThatThrownBy(() -> parse(hocon))
        .as(hocon)
        .isInstanceOf(ConfigError.class)
        .hasMessageStartingWith("config key " + keyAndValue)
        .hasMessageContaining(expected);
  }
}
