package ai.finerewards.core.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.finerewards.core.TinyModelFixtures;
import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.PredictorLease;
import ai.finerewards.core.model.TorchScriptModels;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scorer against transformers' LlamaForCausalLM goldens on the tiny LLM. */
class LlmScorerParityTest {
  private static ModelDirectory dir;
  private static HuggingFaceTokenizer tokenizer;
  private static PredictorLease<List<HostTensor>, HostTensor> lm;
  private static ChatFormat chat;
  private static final Safetensors LOGITS = TinyModelFixtures.golden("llm", "logits");
  private static final JsonObject META = TinyModelFixtures.goldenJson("llm", "logits");

  @BeforeAll
  static void load() throws Exception {
    dir = TinyModelFixtures.directory("llm");
    tokenizer = LlmScorer.openTokenizer(dir.tokenizerFile()); // exactly as the score stage opens it
    lm = ModelCache.get().predictor(TorchScriptModels.spec(dir, "lm", Device.cpu(), "auto", false),
        new LastLogitsTranslator());
    chat = ChatFormat.from(dir.manifest());
  }

  @AfterAll
  static void close() {
    lm.close();
    tokenizer.close();
  }

  private static LlmScorer scorer(int batch) {
    // The golden prompts are whole questions: a question template of just {scene}.
    return new LlmScorer(chat, "{scene}", tokenizer, batch, lm);
  }

  private static List<String> prompts() {
    List<String> p = new ArrayList<>();
    META.getAsJsonArray("prompts").forEach(e -> p.add(e.getAsString()));
    return p;
  }

  @Test
  void chatTextAndIdsAreTheGoldens() {
    JsonArray texts = META.getAsJsonArray("texts");
    JsonArray ids = META.getAsJsonArray("ids");
    List<String> prompts = prompts();
    for (int i = 0; i < prompts.size(); i++) {
      LlmScorer.Pair pair = new LlmScorer.Pair(prompts.get(i), "unused");
      assertThat(scorer(2).chatText(pair)).isEqualTo(texts.get(i).getAsString());
      long[] expected = new long[ids.get(i).getAsJsonArray().size()];
      for (int k = 0; k < expected.length; k++) {
        expected[k] = ids.get(i).getAsJsonArray().get(k).getAsLong();
      }
      assertThat(scorer(2).ids(pair)).containsExactly(expected);
    }
  }

  @Test
  void leftPaddedBatchGivesTheGoldenLastLogits() throws Exception {
    List<long[]> rows = new ArrayList<>();
    for (String p : prompts()) {
      rows.add(scorer(2).ids(new LlmScorer.Pair(p, "unused")));
    }
    float[] got = scorer(2).lastLogits(rows).floats();
    float[] all = LOGITS.tensor("logits").floats();
    long[] shape = LOGITS.tensor("logits").shape();
    int t = (int) shape[1];
    int v = (int) shape[2];
    float[] unpadded = LOGITS.tensor("last_logits_unpadded").floats();
    float maxDiff = 0;
    float maxDiffUnpadded = 0;
    for (int r = 0; r < 2; r++) {
      for (int k = 0; k < v; k++) {
        float g = got[r * v + k];
        maxDiff = Math.max(maxDiff, Math.abs(g - all[(r * t + t - 1) * v + k]));
        maxDiffUnpadded = Math.max(maxDiffUnpadded, Math.abs(g - unpadded[r * v + k]));
      }
    }
    System.out.printf("LLM last logits: max |diff| %.3g vs padded golden, %.3g vs unpadded rows%n", maxDiff, maxDiffUnpadded);
    assertThat(maxDiff).isLessThanOrEqualTo(1e-4f);
    assertThat(maxDiffUnpadded).isLessThanOrEqualTo(1e-4f);
  }

  @Test
  void fullLogitsOfTheGoldenBatchMatch() throws Exception {
    try (PredictorLease<List<HostTensor>, List<HostTensor>> full = TinyModelFixtures.lease("llm", "lm")) {
      float[] got = full.predict(List.of(LOGITS.tensor("input_ids"), LOGITS.tensor("attention_mask"))).get(0).floats();
      float[] expected = LOGITS.tensor("logits").floats();
      long[] mask = LOGITS.tensor("attention_mask").longs();
      int v = 512;
      float maxDiff = 0;
      for (int i = 0; i < expected.length; i++) {
        if (mask[i / v] == 1) { // padded positions are not used and not compared
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
        }
      }
      System.out.printf("LLM logits (all real positions): max |diff| %.3g%n", maxDiff);
      assertThat(maxDiff).isLessThanOrEqualTo(1e-4f);
    }
  }

  @Test
  void answerProbabilitiesAndExpectedScoreMatch() throws Exception {
    Safetensors answer = TinyModelFixtures.golden("llm", "answer");
    float[] probs = answer.tensor("digit_probs").floats();
    float[] expected = answer.tensor("expected_score").floats();
    // Batch size 1 and 2 must agree: padding does not change a row's answer.
    for (int batch : new int[] {1, 2}) {
      List<LlmScorer.Result> results = scorer(batch).score(prompts().stream()
          .map(p -> new LlmScorer.Pair(p, "unused")).toList());
      for (int r = 0; r < 2; r++) {
        AnswerScore s = results.get(r).score();
        assertThat(s.p1()).isCloseTo(probs[3 * r], within(1e-5));
        assertThat(s.p2()).isCloseTo(probs[3 * r + 1], within(1e-5));
        assertThat(s.p3()).isCloseTo(probs[3 * r + 2], within(1e-5));
        assertThat(s.expectedScore()).isCloseTo(expected[r], within(1e-5));
        assertThat(s.answerMass()).isBetween(0.0, 1.0);
      }
    }
  }

  @Test
  void tooLongQuestionIsAnErrorForThatPairOnly() throws Exception {
    String longScene = "a very long description ".repeat(200);
    List<LlmScorer.Result> r = scorer(4).score(List.of(new LlmScorer.Pair(longScene, "x"),
        new LlmScorer.Pair(prompts().get(1), "x")));
    assertThat(r.get(0).error()).contains("more than the LLM's 256 positions");
    assertThat(r.get(1).error()).isNull();
    assertThat(r.get(1).score().expectedScore()).isBetween(1.0, 3.0);
  }
}
