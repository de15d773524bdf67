package ai.finerewards.core.llm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.TinyModelFixtures;
import ai.djl.ndarray.types.DataType;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.model.KvCacheShape;
import ai.finerewards.core.model.KvLogitsTranslator;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TorchScriptModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: a (scene, label) pair's LLM score, and so {@code sam_reward}, is a pure function of the
 * pair. Alone, and at other positions of batches of 3 and 8 beside longer and shorter questions,
 * it gets the same probabilities and expected score to the last bit, with the uncached lm.pt and
 * with the KV-cached chat prefix (lm_cached.pt).
 */
class LlmScorerBatchInvarianceTest {
  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  @Test
  void samePairGivesIdenticalBitsInBatchesOfOneThreeAndEight() throws Exception {
    check(false);
  }

  @Test
  void samePairGivesIdenticalBitsInBatchesWithTheKvCachedPrefix() throws Exception {
    check(true);
  }

  private static void check(boolean cached) throws Exception {
    ModelDirectory dir = TinyModelFixtures.directory("llm");
    LlmScorer.Pair pair = new LlmScorer.Pair("a kite over a beach", "kite");
    List<AnswerScore> seen = new ArrayList<>();
    int[][] layouts = {{1, 0}, {3, 2}, {8, 3}}; // batch size, position of the pair
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.tokenizerFile());
        PredictorLease<List<HostTensor>, HostTensor> lm = ModelCache.get().predictor(
            TorchScriptModels.spec(dir, "lm", Device.cpu(), "auto", false), new LastLogitsTranslator());
        PredictorLease<KvLogitsTranslator.Call, HostTensor> cachedLm = ModelCache.get().predictor(
            TorchScriptModels.spec(dir, "lm_cached", Device.cpu(), "auto", false),
            KvLogitsTranslator.forDtype("float32"))) {
      ChatFormat chat = ChatFormat.from(dir.manifest());
      for (int[] layout : layouts) {
        List<LlmScorer.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < layout[0]; i++) {
          // Other rows both longer and shorter than the pair, so a padded batch would pad it.
          pairs.add(i == layout[1] ? pair
              : new LlmScorer.Pair("scene " + "with many words ".repeat(i % 3 * 3), "label" + i));
        }
        String question = "In {scene}, is there a {label}?";
        // A fresh scorer per batch, as per task: its cached prefix is computed again each time.
        try (LlmScorer scorer = cached
            ? new LlmScorer(chat, question, tokenizer, layout[0], cachedLm,
                KvCacheShape.fromManifest(dir.manifest(), "kv_cache"), DataType.FLOAT32)
            : new LlmScorer(chat, question, tokenizer, layout[0], lm)) {
          assertThat(scorer.usesKvCache()).isEqualTo(cached);
          LlmScorer.Result r = scorer.score(pairs).get(layout[1]);
          assertThat(r.error()).isNull();
          seen.add(r.score());
        }
      }
    }
    AnswerScore alone = seen.get(0);
    for (int i = 1; i < seen.size(); i++) {
      AnswerScore s = seen.get(i);
      String what = "batch of " + layouts[i][0];
      assertThat(Double.doubleToRawLongBits(s.expectedScore())).as(what + ": " + s + " vs " + alone)
          .isEqualTo(Double.doubleToRawLongBits(alone.expectedScore()));
      assertThat(Double.doubleToRawLongBits(s.p1())).as(what).isEqualTo(Double.doubleToRawLongBits(alone.p1()));
      assertThat(Double.doubleToRawLongBits(s.answerMass())).as(what)
          .isEqualTo(Double.doubleToRawLongBits(alone.answerMass()));
    }
  }
}
