package ai.finerewards.core.diffusion.scheduler;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the diffusers replays written by {@code src/test/python/make_scheduler_fixtures.py} from
 * {@code scheduler-fixtures/} on the test classpath, and runs diffusers' scheduler-test loop.
 */
final class SchedulerFixtures {
  private SchedulerFixtures() {}

  static JsonObject load(String name) {
    String path = "scheduler-fixtures/" + name + ".json";
    try (InputStream in = SchedulerFixtures.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path
            + " (regenerate with src/test/python/make_scheduler_fixtures.py)");
      }
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(path, e);
    }
  }

  static List<String> caseNames() {
    List<String> names = new ArrayList<>();
    for (JsonElement e : load("index").getAsJsonArray("cases")) {
      names.add(e.getAsString());
    }
    return names;
  }

  static float[] floats(JsonArray arr) {
    float[] out = new float[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) arr.get(i).getAsDouble();
    }
    return out;
  }

  /** diffusers' scheduler-test fake model: x * t / (t + 1), t as float32. */
  static float[] fakeModel(float[] x, float t) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * t / (t + 1.0f);
    }
    return out;
  }

  /** The pipeline's loop from {@code sample * initNoiseSigma}: the sample after every step. */
  static List<float[]> runLoop(Scheduler scheduler, float[] sample) {
    float sigma = scheduler.initNoiseSigma();
    float[] x = new float[sample.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = sample[i] * sigma;
    }
    List<float[]> steps = new ArrayList<>();
    for (float t : scheduler.timesteps()) {
      float[] input = scheduler.scaleModelInput(x, t);
      x = scheduler.step(fakeModel(input, t), t, x);
      steps.add(x);
    }
    return steps;
  }

  /** Largest |actual - expected| and largest |actual - expected| / |expected| (where expected != 0). */
  static double[] maxErrors(float[] actual, float[] expected) {
    double abs = 0;
    double rel = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) actual[i] - expected[i]);
      abs = Math.max(abs, d);
      if (expected[i] != 0) {
        rel = Math.max(rel, d / Math.abs(expected[i]));
      }
    }
    return new double[] {abs, rel};
  }

  static double sum(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v;
    }
    return s;
  }
}
