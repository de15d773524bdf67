package ai.finerewards.core.caption;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.finerewards.core.clip.ClipTextEmbedder;
import ai.finerewards.core.clip.PromptEmbeddingMemo;
import ai.finerewards.core.model.ModelCache;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelIds;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: {@code caption_reward} is a pure function of (prompt, image). The same row, alone and
 * at other positions of batches of 3 and 8 beside other prompts and images, gets the same caption
 * and the same reward to the last bit, so ties in ranking are real ties whatever Spark's batches.
 */
class CaptionRewardBatchInvarianceTest {
  private static final String PROMPT = "a dog on a sofa";

  @AfterAll
  static void closeModels() {
    ModelCache.get().closeAll();
  }

  @Test
  void sameRowGivesIdenticalBitsInBatchesOfOneThreeAndEight() throws Exception {
    ModelDirectory cap = CaptionRewardRunnerTest.dir("captioner");
    ModelDirectory clipDir = CaptionRewardRunnerTest.dir("clip");
    CaptionInput row = new CaptionInput(PROMPT, CaptionRewardRunnerTest.png(40, 30, 7));
    List<CaptionResult> seen = new ArrayList<>();
    int[][] layouts = {{1, 0}, {3, 1}, {8, 5}}; // batch size, position of the row
    for (int[] layout : layouts) {
      List<CaptionInput> batch = new ArrayList<>();
      for (int i = 0; i < layout[0]; i++) {
        batch.add(i == layout[1] ? row
            : new CaptionInput("other prompt number " + i + " with more words",
                CaptionRewardRunnerTest.png(24 + 4 * i, 36 - 2 * i, 100 + i)));
      }
      // An empty memo: the prompt is embedded again, beside this batch's other prompts.
      PromptEmbeddingMemo.clearAll();
      try (CaptionRewardRunner runner = new CaptionRewardRunner(new CaptionConfig(8, 8, 0.5),
          Blip2Captioner.open(cap, Device.cpu(), "auto"), ClipTextEmbedder.open(clipDir, Device.cpu(), "auto"),
          ModelIds.of(cap), ModelIds.of(clipDir))) {
        seen.add(runner.run(batch).get(layout[1]));
      }
    }
    CaptionResult alone = seen.get(0);
    assertThat(alone.error()).isNull();
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).caption()).as("caption in a batch of %d", layouts[i][0]).isEqualTo(alone.caption());
      assertThat(Double.doubleToRawLongBits(seen.get(i).reward()))
          .as("reward bits in a batch of %d: %s vs %s alone", layouts[i][0], seen.get(i).reward(), alone.reward())
          .isEqualTo(Double.doubleToRawLongBits(alone.reward()));
    }
  }
}
