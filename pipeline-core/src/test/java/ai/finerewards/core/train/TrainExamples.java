package ai.finerewards.core.train;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** Small in-memory training sets of real PNGs for the trainer tests. */
final class TrainExamples {
  private TrainExamples() {}

  static final List<String> PROMPTS = List.of("a cat sitting on a red chair",
      "two dogs playing with a frisbee in the park", "a bowl of fruit on a wooden table",
      "a red bus on a city street");

  /** {@code n} PNGs of size x size: smooth colour ramps that differ per example. */
  static ExampleSet of(int n, int size) {
    List<TrainExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new TrainExample("round=0/prompt_id=p" + i + "/sample_idx=0",
          PROMPTS.get(i % PROMPTS.size()), png(size, i)));
    }
    return new ExampleSet() {
      @Override
      public int size() {
        return out.size();
      }

      @Override
      public TrainExample get(int index) {
        return out.get(index);
      }
    };
  }

  static byte[] png(int size, int variant) {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int r = (x * 255 / size + 40 * variant) & 0xff;
        int g = (y * 255 / size + 70 * variant) & 0xff;
        int b = ((x + y) * 127 / size + 90 * variant) & 0xff;
        img.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
