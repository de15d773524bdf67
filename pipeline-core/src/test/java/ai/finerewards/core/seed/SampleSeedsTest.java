package ai.finerewards.core.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SampleSeedsTest {

  /*
   * Expected values computed independently with Python's hashlib, not with this code:
   *
   *   python3 -c '
   *   import hashlib, struct
   *   def seed(base, rnd, pid, idx):
   *       p = pid.encode("utf-8")
   *       msg = (b"finerewards.sample-seed.v1\x00" + struct.pack(">qii", base, rnd, len(p))
   *              + p + struct.pack(">i", idx))
   *       return int.from_bytes(hashlib.sha256(msg).digest()[:8], "big", signed=True)
   *   print(seed(20240101, 0, "coco-000001", 0))'
   */
  @Test
  void matchesValuesComputedWithPythonHashlib() {
    assertThat(SampleSeeds.seed(20240101L, 0, "coco-000001", 0)).isEqualTo(813557689402105912L);
    assertThat(SampleSeeds.seed(20240101L, 0, "coco-000001", 1)).isEqualTo(-8096139828725288908L);
    assertThat(SampleSeeds.seed(20240101L, 1, "coco-000001", 0)).isEqualTo(1775561847934254400L);
    assertThat(SampleSeeds.seed(20240102L, 0, "coco-000001", 0)).isEqualTo(3839254448469615309L);
    assertThat(SampleSeeds.seed(0L, 0, "", 0)).isEqualTo(-1321873948054967318L);
    // Non-ASCII prompt id: UTF-8 bytes, e-acute is 2 bytes and each CJK character 3.
    assertThat(SampleSeeds.seed(-1L, 7, "prompt \u00e9 \u6771\u4eac", 9))
        .isEqualTo(-6406601865827735203L);
    assertThat(SampleSeeds.seed(Long.MAX_VALUE, Integer.MAX_VALUE, "p", Integer.MAX_VALUE))
        .isEqualTo(8455319214774561090L);
  }

  @Test
  void unsignedFormIsTheSameBitsModuloTwoToThe64() {
    // python: seed(20240101, 0, "coco-000001", 1) % 2**64
    assertThat(SampleSeeds.unsignedSeed(20240101L, 0, "coco-000001", 1))
        .isEqualTo("10350604244984262708");
    assertThat(SampleSeeds.unsignedSeed(20240101L, 0, "coco-000001", 0))
        .isEqualTo("813557689402105912");
  }

  @Test
  void distinctAcrossAGridOfKeys() {
    // 3 base seeds x 3 rounds x 50 prompts x 10 samples = 4,500 keys, all different seeds.
    Set<Long> seen = new HashSet<>();
    int keys = 0;
    for (long base : new long[] {0L, 1L, 20240101L}) {
      for (int round = 0; round < 3; round++) {
        for (int p = 0; p < 50; p++) {
          for (int s = 0; s < 10; s++) {
            seen.add(SampleSeeds.seed(base, round, "prompt-" + p, s));
            keys++;
          }
        }
      }
    }
    assertThat(seen).hasSize(keys);
  }

  @Test
  void lengthPrefixSeparatesPromptIdFromSampleIdx() {
    // Without the length prefix "p1" + idx 0 and "p" + ... could share bytes; with it they differ.
    assertThat(SampleSeeds.seed(5L, 0, "p1", 0)).isNotEqualTo(SampleSeeds.seed(5L, 0, "p", 0));
    assertThat(SampleSeeds.seed(5L, 1, "p", 0)).isNotEqualTo(SampleSeeds.seed(5L, 0, "p", 1));
  }

  @Test
  void stableAcrossCallsAndThreads() throws InterruptedException {
    long expected = SampleSeeds.seed(20240101L, 2, "stable", 4);
    long[] fromThreads = new long[8];
    Thread[] threads = new Thread[fromThreads.length];
    for (int t = 0; t < threads.length; t++) {
      int slot = t;
      threads[t] =
          new Thread(
              () -> {
                long last = 0;
                for (int i = 0; i < 1000; i++) {
                  last = SampleSeeds.seed(20240101L, 2, "stable", 4);
                }
                fromThreads[slot] = last;
              });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(fromThreads).containsOnly(expected);
  }

  @Test
  void rejectsInvalidKeys() {
    assertThatThrownBy(() -> SampleSeeds.seed(1L, 0, null, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prompt_id");
    assertThatThrownBy(() -> SampleSeeds.seed(1L, -1, "p", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round");
    assertThatThrownBy(() -> SampleSeeds.seed(1L, 0, "p", -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sample_idx");
  }
}
