package ai.finerewards.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.finerewards.core.seed.SampleSeeds;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batching, seeds from keys, and the empty-prompt policy of the stage's core loop, on the tiny model. */
class SampleGenerationTest {
  private static DiffusionComponents components;

  @BeforeAll
  static void open() {
    components = DiffusionComponents.open(TinyDiffusion.directory(), Device.cpu(), "auto", null);
  }

  @AfterAll
  static void close() {
    components.close();
  }

  private static GenerateConfig config(int batch, EmptyPromptPolicy policy) {
    return new GenerateConfig(2, batch, new GenerationSettings("ddim", 2, 7.5, 64, 64, ""), policy);
  }

  private static List<SampleGeneration.Sample> samples(String... prompts) {
    List<SampleGeneration.Sample> out = new ArrayList<>();
    for (int p = 0; p < prompts.length; p++) {
      for (int s = 0; s < 2; s++) {
        out.add(new SampleGeneration.Sample(0, "p" + p, s, prompts[p]));
      }
    }
    return out;
  }

  private static List<SampleGeneration.Result> run(List<SampleGeneration.Sample> in, GenerateConfig config, AtomicInteger done) {
    List<SampleGeneration.Result> out = new ArrayList<>();
    new SampleGeneration(in.iterator(), config, 7L, components.sampler(), () -> {}, done::incrementAndGet).forEachRemaining(out::add);
    return out;
  }

  @Test
  void seedsComeFromKeysAndBatchingDoesNotChangeTheSampleOrPixelsBeyondRounding() {
    AtomicInteger done = new AtomicInteger();
    List<SampleGeneration.Result> batched = run(samples("a red car", "a blue boat"), config(3, EmptyPromptPolicy.SKIP), done);
    List<SampleGeneration.Result> single = run(samples("a red car", "a blue boat"), config(1, EmptyPromptPolicy.SKIP), done);
    assertThat(done).hasValue(2); // onDone ran once per stream
    assertThat(batched).hasSize(4);
    for (int i = 0; i < 4; i++) {
      SampleGeneration.Sample k = batched.get(i).sample();
      assertThat(batched.get(i).seed()).isEqualTo(SampleSeeds.seed(7L, 0, k.promptId(), k.sampleIdx()));
      byte[] a = batched.get(i).image().rgb();
      byte[] b = single.get(i).image().rgb();
      int maxDiff = 0;
      for (int j = 0; j < a.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs((a[j] & 0xff) - (b[j] & 0xff)));
      }
      assertThat(maxDiff).as("sample %d, batch 3 vs batch 1", i).isLessThanOrEqualTo(1);
    }
    assertThat(batched.get(0).image().rgb()).isNotEqualTo(batched.get(1).image().rgb());
  }

  @Test
  void emptyPromptsFollowThePolicy() {
    AtomicInteger done = new AtomicInteger();
    assertThat(run(samples("a red car", "  "), config(4, EmptyPromptPolicy.SKIP), done))
        .extracting(r -> r.sample().promptId()).containsExactly("p0", "p0");
    assertThat(run(samples("a red car", ""), config(4, EmptyPromptPolicy.UNCONDITIONAL), done)).hasSize(4);
    assertThatThrownBy(() -> run(samples("", "a red car"), config(4, EmptyPromptPolicy.FAIL), done))
        .hasMessageContaining("prompt p0 is empty").hasMessageContaining("on-empty-prompt = fail");
  }
}
