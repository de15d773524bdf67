package ai.finerewards.jobs.stages;

import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/** Hand-made samples and prompts tables and a config on the tiny models, for the segment and score stages. */
public final class SegmentScoreFixtures {
  private SegmentScoreFixtures() {}

  public static Path tiny(String family) {
    return Paths.get(System.getProperty("finerewards.repo.root", "../")).toAbsolutePath().normalize()
        .resolve("models/tiny").resolve(family);
  }

  /**
   * Model directories on the tiny models; AMG filters loosened because the tiny random SAM has
   * near-zero logits and low IoU predictions (the defaults would find no part); every part labelled.
   */
  public static String modelsConf() {
    StringBuilder s = new StringBuilder();
    for (String f : List.of("diffusion", "clip", "captioner", "segmenter", "llm")) {
      s.append("finerewards.models.").append(f).append(" = \"").append(tiny(f)).append("\"\n");
    }
    s.append("finerewards.segment { points-per-side = 8, points-per-batch = 32, pred-iou-thresh = 0.0,"
        + " stability-score-thresh = 0.5, stability-score-offset = 0.0, box-nms-thresh = 0.9, label-threshold = 0.0 }\n");
    return s.toString();
  }

  public static byte[] png(int w, int h, int seed) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random rnd = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | (seed * 40 % 256));
      }
    }
    Graphics2D g = img.createGraphics();
    for (int k = 0; k < 3; k++) {
      g.setColor(new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)));
      g.fillOval(rnd.nextInt(w / 2), rnd.nextInt(h / 2), w / 4 + rnd.nextInt(w / 3), h / 4 + rnd.nextInt(h / 3));
    }
    g.dispose();
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(img, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Commits samples round {@code round}: prompts x samplesPerPrompt images, plus optionally one undecodable. */
  public static void samples(SparkSession spark, RoundTables tables, int round, List<String> promptIds,
      int samplesPerPrompt, boolean withBadImage) {
    List<Row> rows = new ArrayList<>();
    Timestamp now = Timestamp.from(Instant.now());
    int seed = 0;
    for (String p : promptIds) {
      for (int i = 0; i < samplesPerPrompt; i++) {
        byte[] bytes = withBadImage && rows.isEmpty() ? new byte[] {1, 2, 3} : png(56, 40, seed++);
        rows.add(RowFactory.create(round, p, i, "prompt " + p, null, 7L + i,
            RowFactory.create(bytes, p + "-" + i + ".png"), 56, 40, "tiny-diffusion@000000000000", null,
            "DDIMScheduler", 2, 7.5, 0, now));
      }
    }
    tables.overwriteRound(spark.createDataFrame(rows, SparkSchemas.toStructType(Tables.SAMPLES)), Tables.SAMPLES, round,
        "generate", "samples-fp-" + rows.size());
  }

  /** Commits prompts round {@code round}: (prompt_id, prompt) pairs. */
  public static void prompts(SparkSession spark, RoundTables tables, int round, List<String[]> idAndText) {
    List<Row> rows = new ArrayList<>();
    long line = 1;
    for (String[] p : idAndText) {
      rows.add(RowFactory.create(round, p[0], p[1], false, "file:///prompts.txt", line++));
    }
    tables.overwriteRound(spark.createDataFrame(rows, SparkSchemas.toStructType(Tables.PROMPTS)), Tables.PROMPTS, round,
        "generate", "prompts-fp-" + rows.size());
  }
}
