package ai.finerewards.jobs.caption;

import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Writes a committed {@code samples} round with PNG images encoded here (and corrupt ones on request). */
public final class SampleFixtures {
  private SampleFixtures() {}

  /** One sample: its key, prompt and image bytes (null = missing image). */
  public record Sample(String promptId, int sampleIdx, String prompt, byte[] image) {}

  /** A random-noise RGB PNG of {@code w x h}, deterministic in {@code seed}. */
  public static byte[] png(int w, int h, long seed) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Random rnd = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Commits {@code samples} round {@code round} holding {@code samples}. */
  public static void write(SparkSession spark, RoundTables tables, int round, List<Sample> samples) {
    StructType schema = SparkSchemas.toStructType(Tables.SAMPLES);
    List<Row> rows = new ArrayList<>();
    Timestamp now = new Timestamp(System.currentTimeMillis());
    for (Sample s : samples) {
      Map<String, Object> v = new HashMap<>();
      v.put("round", round);
      v.put("prompt_id", s.promptId());
      v.put("sample_idx", s.sampleIdx());
      v.put("prompt", s.prompt());
      v.put("seed", 1000L + s.sampleIdx());
      v.put("image", RowFactory.create(s.image(), s.promptId() + "-" + s.sampleIdx() + ".png"));
      v.put("width", 32);
      v.put("height", 32);
      v.put("model_id", "tiny-diffusion@000000000000");
      v.put("scheduler", "DPMSolverMultistepScheduler");
      v.put("steps", 2);
      v.put("guidance_scale", 7.5);
      v.put("truncated_tokens", 0);
      v.put("created_at", now);
      Object[] values = new Object[schema.fields().length];
      int i = 0;
      for (StructField f : schema.fields()) {
        values[i++] = v.get(f.name());
      }
      rows.add(RowFactory.create(values));
    }
    tables.overwriteRound(spark.createDataFrame(rows, schema).repartition(2), Tables.SAMPLES, round, "generate",
        "samples-fp-" + samples.size());
  }

  /**
   * Copies the tiny captioner and CLIP exports under {@code dir} and returns the HOCON that points
   * the two families there. A private copy is a different model-cache key, so these loads do not
   * add to the per-JVM load counts other test classes check for models/tiny (ModelCacheSparkTest).
   */
  public static String tinyModelsConf(Path dir) {
    Path root = Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize();
    StringBuilder conf = new StringBuilder();
    for (String family : List.of("captioner", "clip")) {
      Path target = dir.resolve(family);
      copyTree(root.resolve("models/tiny").resolve(family), target);
      conf.append("finerewards.models.").append(family).append(" = \"").append(target).append("\"\n");
    }
    return conf.toString();
  }

  private static void copyTree(Path from, Path to) {
    if (java.nio.file.Files.isDirectory(to)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(from)) {
      java.nio.file.Files.createDirectories(to.getParent());
      for (Path p : walk.toList()) {
        java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }
}
