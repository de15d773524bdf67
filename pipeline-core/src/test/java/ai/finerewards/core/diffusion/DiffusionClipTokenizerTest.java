package ai.finerewards.core.diffusion;

import ai.finerewards.core.clip.ClipTextTokenizer;
import ai.finerewards.core.clip.PromptTokens;
import static org.assertj.core.api.Assertions.assertThat;

import ai.finerewards.core.model.ModelDirectory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The tokenizer gives the ids diffusers gave the golden pipeline, and truncates as HF does. */
class DiffusionClipTokenizerTest {
  private static ClipTextTokenizer open() {
    ModelDirectory dir = TinyDiffusion.directory();
    return ClipTextTokenizer.forDiffusion(dir.tokenizerFile(), DiffusionModelConfig.from(dir.manifest()).tokenizer(), "tiny");
  }

  @Test
  void givesTheGoldenIdsOfPromptsAndEmptyNegativePrompt() {
    long[] prompts = TinyDiffusion.golden("pipeline_inputs.safetensors").tensor("prompt_ids").longs();
    long[] negative = TinyDiffusion.golden("pipeline_inputs.safetensors").tensor("negative_ids").longs();
    try (ClipTextTokenizer tok = open()) {
      assertThat(tok.encode("a cat sitting on a red chair").ids()).containsExactly(Arrays.copyOfRange(prompts, 0, 77));
      assertThat(tok.encode("two dogs playing with a frisbee in the park").ids()).containsExactly(Arrays.copyOfRange(prompts, 77, 154));
      PromptTokens empty = tok.encode("");
      assertThat(empty.ids()).containsExactly(Arrays.copyOfRange(negative, 0, 77));
      assertThat(empty.truncatedTokens()).isZero();
    }
  }

  @Test
  void truncatesLongPromptsKeepingBosAndEosAndCountsTheDrop() {
    try (ClipTextTokenizer tok = open()) {
      String word = "cat ";
      int contentPerWord = tok.encode("cat").ids().length > 0 ? countContent(tok, "cat") : 1;
      String longPrompt = word.repeat(100);
      PromptTokens t = tok.encode(longPrompt);
      int content = 100 * contentPerWord;
      assertThat(t.ids()).hasSize(77);
      assertThat(t.truncatedTokens()).isEqualTo(content - 75);
      assertThat(t.ids()[0]).isEqualTo(992L);
      assertThat(t.ids()[76]).isEqualTo(993L);
      // Exactly at the limit: nothing dropped.
      PromptTokens fits = tok.encode(word.repeat(75 / contentPerWord));
      assertThat(fits.truncatedTokens()).isZero();
    }
  }

  private static int countContent(ClipTextTokenizer tok, String text) {
    long[] ids = tok.encode(text).ids();
    int n = 0;
    for (int i = 1; i < ids.length && ids[i] != 993L; i++) {
      n++;
    }
    return n;
  }
}
