package ai.finerewards.core.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CocoRleTest {

  @Test
  void countsRunColumnMajorStartingWithZeros() {
    // h = 3, w = 2; column 0 = [0, 1, 1], column 1 = [1, 0, 0]
    boolean[] mask = {false, true, true, false, true, false};
    assertThat(CocoRle.counts(mask, 3, 2)).containsExactly(1, 3, 2);
    assertThat(CocoRle.encode(mask, 3, 2)).isEqualTo("132");
    // A mask starting with a one has an empty first run of zeros.
    assertThat(CocoRle.counts(new boolean[] {true, true}, 2, 1)).containsExactly(0, 2);
  }

  @Test
  void compressedStringUsesDifferencesAndSignedFiveBitGroups() {
    // Worked by hand with pycocotools' rleToString: 5 -> "5"; 40 -> "X1"; 3 -> "3"; 10 - 40 = -30 -> "RO".
    assertThat(CocoRle.toString(new long[] {5, 40, 3, 10})).isEqualTo("5X13RO");
  }

  @Test
  void decodeInvertsEncode() {
    Random rnd = new Random(7);
    for (int t = 0; t < 20; t++) {
      int h = 1 + rnd.nextInt(40);
      int w = 1 + rnd.nextInt(40);
      boolean[] mask = new boolean[h * w];
      // Blobs give long runs (large differences of both signs), noise gives short ones.
      int cx = rnd.nextInt(w);
      int cy = rnd.nextInt(h);
      int r = rnd.nextInt(20);
      for (int i = 0; i < mask.length; i++) {
        int y = i / w;
        int x = i % w;
        mask[i] = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r || rnd.nextInt(50) == 0;
      }
      assertThat(CocoRle.decode(CocoRle.encode(mask, h, w), h, w)).isEqualTo(mask);
    }
  }

  @Test
  void decodeRejectsRunsThatDoNotCoverTheMask() {
    assertThatThrownBy(() -> CocoRle.decode("132", 4, 2)).hasMessageContaining("covers 6 pixels");
  }
}
