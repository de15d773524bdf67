package ai.finerewards.jobs.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sequence;

import ai.finerewards.core.config.ModelCacheConfig;
import ai.finerewards.core.config.ModelsConfig;
import ai.finerewards.core.config.PipelineConfigLoader;
import ai.finerewards.core.config.RunConfig;
import ai.finerewards.core.diffusion.DiffusionComponents;
import ai.finerewards.core.diffusion.DiffusionModelConfig;
import ai.finerewards.core.diffusion.EmptyPromptPolicy;
import ai.finerewards.core.diffusion.GenerateConfig;
import ai.finerewards.core.diffusion.LoraCheckpoint;
import ai.finerewards.core.diffusion.LoraSource;
import ai.finerewards.core.diffusion.StableDiffusionSampler;
import ai.finerewards.core.model.ModelDirectory;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.core.prompts.PromptsConfig;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.InputFiles;
import ai.finerewards.core.run.Stage;
import ai.finerewards.core.run.StageFingerprint;
import ai.finerewards.core.train.CheckpointStore;
import ai.finerewards.jobs.FineRewardsCli;
import ai.finerewards.jobs.StageContext;
import ai.finerewards.jobs.StageJob;
import ai.finerewards.jobs.generate.LoraInput;
import ai.finerewards.jobs.ml.ImageGenerationTransformer;
import ai.finerewards.jobs.ml.StageTransformer;
import ai.finerewards.jobs.progress.StageProgress;
import ai.finerewards.jobs.prompts.PromptSource;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The generate stage: the round's prompts (PromptSource, committed as {@code prompts}) times N
 * samples each, through the diffusion sampler in one mapPartitions ({@link ImageGenerationTransformer}),
 * committed as {@code samples}.
 * Round r > 0 generates with the LoRA checkpoint of round r-1 when the train stage wrote one, or
 * with the one {@code generate.lora} names.
 */
public final class GenerateJob implements StageJob {

  public static void main(String[] args) {
    FineRewardsCli.mainForStage(Stage.GENERATE, args);
  }

  @Override
  public List<String> modelFamilies(Config config) {
    return List.of("diffusion");
  }

  @Override
  public List<String> extraOutputs() {
    return List.of(Tables.PROMPTS.name()); // committed with the same fingerprint before the samples
  }

  @Override
  public Stage stage() {
    return Stage.GENERATE;
  }

  @Override
  public List<Input> inputs(Config config, int round) {
    // Prompts come from finerewards.prompts, not from a committed table. Round r > 0 generates with
    // round r-1's LoRA when train committed one: it joins the fingerprint, so a retrained round
    // regenerates on resume.
    boolean previous = loraSource(config).kind() == LoraSource.Kind.PREVIOUS_ROUND;
    return round == 0 || !previous ? List.of() : List.of(Input.optional(CheckpointStore.TABLE, round - 1, "train"));
  }

  @Override
  public List<StageFingerprint.Input> externalInputs(Config config, int round) {
    // The prompt files join by content (an appended line regenerates); a checkpoint directory given
    // by path by the hash of its weights.
    List<StageFingerprint.Input> external = new java.util.ArrayList<>();
    PromptsConfig prompts = PromptsConfig.from(PipelineConfigLoader.section(config, "prompts"));
    external.add(InputFiles.fingerprint("prompt-files", prompts.path(), new Configuration()));
    loraSource(config).directory().ifPresent(dir ->
        external.add(new StageFingerprint.Input("lora-directory", -1, LoraCheckpoint.weightsSha256(dir), 0)));
    return external;
  }

  private static LoraSource loraSource(Config config) {
    return LoraSource.from(PipelineConfigLoader.section(config, GenerateConfig.SECTION));
  }

  @Override
  public CommitMarker run(StageContext ctx) {
    // Everything that can be wrong with config, model or checkpoint fails here, before any task.
    GenerateConfig generate = GenerateConfig.from(PipelineConfigLoader.section(ctx.config(), GenerateConfig.SECTION));
    ModelRuntime runtime = ModelRuntime.from(ctx.config());
    ModelDirectory dir = runtime.directory("diffusion");
    DiffusionModelConfig model = DiffusionModelConfig.from(dir.manifest());
    generate.checkSidesFor(model);
    StableDiffusionSampler.checkSettings(generate.settings(), model, DiffusionComponents.readSchedulerConfig(dir, model));
    Optional<LoraCheckpoint> lora = LoraInput.resolve(ctx.tables().store(), ctx.round(), model, loraSource(ctx.config()));

    PromptsConfig promptsConfig = PromptsConfig.from(PipelineConfigLoader.section(ctx.config(), "prompts"));
    Dataset<Row> source = PromptSource.read(ctx.spark(), promptsConfig, ctx.round()).prompts();
    ctx.tables().overwriteRound(source, Tables.PROMPTS, ctx.round(), "generate", ctx.fingerprint());
    Dataset<Row> prompts = ctx.tables().read(Tables.PROMPTS, ctx.round(), "generate");
    long empty = prompts.filter(org.apache.spark.sql.functions.trim(col("prompt")).equalTo("")).count();
    if (empty > 0 && generate.onEmptyPrompt() == EmptyPromptPolicy.FAIL) {
      throw new IllegalArgumentException(empty + " empty prompt(s) in prompts round " + ctx.round()
          + " and finerewards.generate.on-empty-prompt = fail");
    }

    long total = prompts.count() * generate.samplesPerPrompt();
    int partitions = (int) Math.max(1, Math.min(ctx.spark().sparkContext().defaultParallelism(),
        (total + generate.batchSize() - 1) / generate.batchSize()));
    // Keys are spread by hash and sorted within partitions, so a retried task sees the same batches.
    Dataset<Row> keys = prompts
        .select(col("round"), col("prompt_id"),
            explode(sequence(lit(0), lit(generate.samplesPerPrompt() - 1))).as("sample_idx"), col("prompt"))
        .repartition(partitions, col("prompt_id"), col("sample_idx"))
        .sortWithinPartitions("prompt_id", "sample_idx");
    ImageGenerationTransformer transformer = new ImageGenerationTransformer()
        .setRound(ctx.round())
        .setLoraDirectory(lora.map(l -> l.directory().toString()).orElse(""));
    transformer.setSettings(StageTransformer.settingsOf(ctx.config(), ModelsConfig.SECTION, ModelCacheConfig.SECTION,
        GenerateConfig.SECTION, RunConfig.SECTION));
    Dataset<Row> samples = transformer.transform(keys)
        .select(col("round"), col("prompt_id"), col("sample_idx"), col("prompt"), col("negative_prompt"), col("seed"),
            col("image"), col("width"), col("height"), col("model_id"), col("lora_checkpoint_id"), col("scheduler"),
            col("steps"), col("guidance_scale"), col("truncated_tokens"), lit(Timestamp.from(Instant.now())).as("created_at"));
    ctx.spark().sparkContext().setLocalProperty(StageProgress.EXPECTED_ROWS, Long.toString(total)); // for the progress line
    CommitMarker marker;
    try {
      marker = ctx.tables().overwriteRound(samples, Tables.SAMPLES, ctx.round(), "generate", ctx.fingerprint());
    } finally {
      ctx.spark().sparkContext().setLocalProperty(StageProgress.EXPECTED_ROWS, null);
    }

    Dataset<Row> written = ctx.tables().read(Tables.SAMPLES, ctx.round(), "generate");
    long truncated = written.filter(col("truncated_tokens").gt(0)).select("prompt_id").distinct().count();
    ctx.out().printf("generate round=%d: %d images (%d per prompt, %s %d steps, guidance %s, %dx%d, model %s, LoRA %s);"
            + " %d prompt(s) truncated to the token limit; %d empty prompt(s) (%s)%n",
        ctx.round(), marker.rowCount(), generate.samplesPerPrompt(), generate.settings().schedulerClassName(),
        generate.settings().steps(), generate.settings().guidanceScale(), generate.settings().width(),
        generate.settings().height(), model.modelId(), lora.map(LoraCheckpoint::id).orElse("none (base model)"),
        truncated, empty, generate.onEmptyPrompt().name().toLowerCase(java.util.Locale.ROOT));
    return marker;
  }
}
