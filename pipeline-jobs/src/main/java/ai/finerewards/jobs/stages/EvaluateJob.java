package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.evaluate.EvaluateConfig;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RewardSpec;
import ai.finerewards.core.report.EvaluationStats;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.InputFiles;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.run.StageFingerprint;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.jobs.CodeVersion;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.StageJobs;
import ai.finerewards.jobs.io.RoundTables;
import ai.finerewards.jobs.rank.RankCandidates;
import ai.finerewards.jobs.rank.RankInputs;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The evaluate stage: held-out evaluation of the LoRA checkpoint that round r's train stage wrote
 * (and, in round 0, of the base model). It reuses the pipeline itself: for each checkpoint it runs
 * the generate stage on {@code evaluate.prompts} with that checkpoint as {@code generate.lora}, then
 * the stages that compute the configured rewards (caption, segment, score, as
 * {@code jobs.rank-inputs} needs them), under {@code <root>/evaluate/checkpoint=<c>/} and always as
 * round 0 with {@code evaluate.base-seed}: every checkpoint draws the same noise. The rewards are
 * joined exactly as rank joins them and committed as {@code evaluations} round r.
 *
 * <p>Why round r holds checkpoint r and round 0 also the base model (checkpoint_round -1): a stage
 * commits one partition per round, so each round's evaluation is one atomic commit whose fingerprint
 * covers exactly that round's checkpoint; the base model needs no run of its own and no negative
 * partition, and re-evaluating a retrained round leaves the others alone.
 */
public final class EvaluateJob implements StageJob {
  /** Where the evaluation runs keep their tables, below the run root. */
  public static final String WORK_DIR = "evaluate";

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.EVALUATE, args);
  }

  @Override
  public Stage stage() {
    return Stage.EVALUATE;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    return List.of(new Input(CheckpointStore.TABLE, round, "train"));
  }

  /** The held-out prompt files join the fingerprint by content, like generate's prompts. */
  @Override
  public List<StageFingerprint.Input> externalInputs(Config config, int round) {
    EvaluateConfig evaluate = EvaluateConfig.from(PipelineConfigLoader.section(config, EvaluateConfig.SECTION));
    return List.of(InputFiles.fingerprint("evaluate-prompt-files", evaluate.prompts().path(), new Configuration()));
  }

  /** The diffusion model and the models of every reward stage it runs, checked on the driver. */
  @Override
  public List<String> modelFamilies(Config config) {
    RankConfig rank = RankConfig.from(config.getConfig("finerewards.rank"));
    Set<String> families = new java.util.LinkedHashSet<>();
    for (Stage s : stagesFor(RankInputs.from(config, rank))) {
      families.addAll(StageJobs.of(s).modelFamilies(config));
    }
    return List.copyOf(families);
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    EvaluateConfig evaluate = EvaluateConfig.from(PipelineConfigLoader.section(ctx.config(), EvaluateConfig.SECTION));
    RankConfig rank = RankConfig.from(ctx.config().getConfig("finerewards.rank"));
    RankInputs inputs = RankInputs.from(ctx.config(), rank);
    List<Stage> stages = stagesFor(inputs);
    Timestamp createdAt = Timestamp.from(Instant.now());
    Dataset<Row> rows = evaluateCheckpoint(ctx, evaluate, rank, inputs, stages, ctx.round(), createdAt);
    if (ctx.round() == 0) {
      rows = evaluateCheckpoint(ctx, evaluate, rank, inputs, stages, -1, createdAt).unionByName(rows);
    }
    CommitMarker marker = ctx.tables().overwriteRound(rows, Tables.EVALUATIONS, ctx.round(), "evaluate", ctx.fingerprint());
    describeSkipped(ctx);
    return marker;
  }

  /** The held-out table of every evaluation committed in rounds 0..r (also after a skip: the run's last word). */
  @Override
  public void describeSkipped(StageContext ctx) {
    EvaluateConfig evaluate = EvaluateConfig.from(PipelineConfigLoader.section(ctx.config(), EvaluateConfig.SECTION));
    RankConfig rank = RankConfig.from(ctx.config().getConfig("finerewards.rank"));
    ctx.out().printf("evaluate round=%d: held-out rewards per checkpoint (%d sample(s) per prompt of %s, the same seeds"
        + " for every checkpoint; table evaluations rounds 0..%d):%n", ctx.round(), evaluate.samplesPerPrompt(),
        evaluate.prompts().path(), ctx.round());
    ctx.out().print(EvaluationStats.table(EvaluationStats.of(values(ctx.tables(), ctx.round(), rank))));
  }

  /** generate, then the reward stages whose tables jobs.rank-inputs reads (and what those read). */
  static List<Stage> stagesFor(RankInputs inputs) {
    Set<String> needed = new HashSet<>();
    for (RankInputs.Source s : inputs.sources()) {
      if (Stage.writerOf(s.table()).startsWith("the stage")) {
        throw new IllegalArgumentException("evaluate cannot compute reward table " + s.table()
            + " (finerewards.jobs.rank-inputs): no stage writes it");
      }
      needed.add(s.table());
    }
    List<Stage> rewardStages = List.of(Stage.SCORE, Stage.SEGMENT, Stage.CAPTION);
    for (Stage s : rewardStages) { // later stages first: score needs segments
      if (needed.contains(s.outputTable())) {
        needed.addAll(s.defaultInputTables());
      }
    }
    List<Stage> plan = new ArrayList<>(List.of(Stage.GENERATE));
    for (Stage s : List.of(Stage.CAPTION, Stage.SEGMENT, Stage.SCORE)) {
      if (needed.contains(s.outputTable())) {
        plan.add(s);
      }
    }
    return plan;
  }

  /** Generates and scores the held-out samples of checkpoint {@code checkpoint} (-1 = base model). */
  private static Dataset<Row> evaluateCheckpoint(StageContext ctx, EvaluateConfig evaluate, RankConfig rank,
      RankInputs inputs, List<Stage> stages, int checkpoint, Timestamp createdAt) {
    String workRoot = new Path(ctx.tables().store().root(), WORK_DIR + "/checkpoint=" + checkpoint).toString();
    String lora = checkpoint < 0 ? "none" : qualified(ctx, ctx.tables().store().partition(CheckpointStore.TABLE, checkpoint));
    Config nested = ctx.config()
        .withValue("finerewards.prompts", ctx.config().getValue("finerewards.evaluate.prompts"))
        .withValue("finerewards.run.root", ConfigValueFactory.fromAnyRef(workRoot))
        .withValue("finerewards.run.base-seed", ConfigValueFactory.fromAnyRef(evaluate.baseSeed()))
        .withValue("finerewards.generate.samples-per-prompt", ConfigValueFactory.fromAnyRef(evaluate.samplesPerPrompt()))
        .withValue("finerewards.generate.lora", ConfigValueFactory.fromAnyRef(lora));
    RoundTables tables = new RoundTables(ctx.spark(), workRoot, CodeVersion.current());
    String label = "evaluate round=" + ctx.round() + " checkpoint=" + (checkpoint < 0 ? "base" : checkpoint) + " | ";
    for (Stage stage : stages) {
      ByteArrayOutputStream console = new ByteArrayOutputStream();
      try (PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
        StageJobs.of(stage).run(new StageContext(ctx.spark(), nested, 0, tables, ctx.fingerprint(), out));
      } finally {
        for (String line : console.toString(StandardCharsets.UTF_8).split("\n")) {
          if (!line.isBlank()) {
            ctx.out().println(label + line);
          }
        }
      }
    }
    Dataset<Row> rewards = RankCandidates.read(tables, inputs, rank, 0)
        .withColumnRenamed("prompt_id", "_r_prompt_id").withColumnRenamed("sample_idx", "_r_sample_idx");
    Dataset<Row> samples = tables.read(Tables.SAMPLES, 0, "generate");
    Dataset<Row> joined = samples.join(rewards, samples.col("prompt_id").equalTo(rewards.col("_r_prompt_id"))
        .and(samples.col("sample_idx").equalTo(rewards.col("_r_sample_idx"))), "left");
    Column caption = lit(null).cast(DataTypes.StringType);
    if (stages.contains(Stage.CAPTION)) {
      Dataset<Row> captions = tables.read(Tables.CAPTIONS, 0, "caption")
          .select(col("prompt_id").as("_c_prompt_id"), col("sample_idx").as("_c_sample_idx"), col("caption").as("_caption"));
      joined = joined.join(captions, joined.col("prompt_id").equalTo(captions.col("_c_prompt_id"))
          .and(joined.col("sample_idx").equalTo(captions.col("_c_sample_idx"))), "left");
      caption = col("_caption");
    }
    List<Column> map = new ArrayList<>();
    for (RewardSpec reward : rank.rewards()) {
      map.add(lit(reward.name()));
      map.add(col(reward.name()).cast(DataTypes.DoubleType));
    }
    return joined.select(lit(ctx.round()).as("round"), lit(checkpoint).as("checkpoint_round"),
        samples.col("lora_checkpoint_id"), samples.col("model_id"), samples.col("prompt_id"), samples.col("sample_idx"),
        samples.col("prompt"), samples.col("seed"), caption.as("caption"),
        functions.map(map.toArray(new Column[0])).as("rewards"), lit(createdAt).as("created_at"));
  }

  private static String qualified(StageContext ctx, Path dir) {
    try {
      return ctx.tables().store().fileSystem().makeQualified(dir).toUri().toString();
    } catch (IllegalArgumentException e) {
      throw new UncheckedIOException(new IOException("cannot resolve checkpoint directory " + dir, e));
    }
  }

  /** Every committed evaluation of rounds 0..round as (checkpoint, reward, value), rewards in config order. */
  static List<EvaluationStats.Value> values(RoundTables tables, int round, RankConfig rank) {
    List<String> order = rank.rewards().stream().map(RewardSpec::name).toList();
    List<EvaluationStats.Value> values = new ArrayList<>();
    for (int r = 0; r <= round; r++) {
      if (tables.store().committed(Tables.EVALUATIONS.name(), r).isEmpty()) {
        continue;
      }
      for (Row row : tables.read(Tables.EVALUATIONS, r, "evaluate")
          .select(col("checkpoint_round"), col("lora_checkpoint_id"), functions.explode(col("rewards")))
          .collectAsList()) {
        values.add(new EvaluationStats.Value(row.getInt(0), row.getString(1), row.getString(2),
            row.isNullAt(3) ? null : row.getDouble(3)));
      }
    }
    values.sort(java.util.Comparator.comparingInt((EvaluationStats.Value v) -> v.checkpointRound())
        .thenComparingInt(v -> order.indexOf(v.reward())));
    return values;
  }
}
