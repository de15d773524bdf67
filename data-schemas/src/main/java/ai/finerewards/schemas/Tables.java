package ai.finerewards.schemas;

import static ai.finerewards.schemas.ColumnSpec.optional;
import static ai.finerewards.schemas.ColumnSpec.required;
import static ai.finerewards.schemas.ColumnType.Primitive.BINARY;
import static ai.finerewards.schemas.ColumnType.Primitive.BOOLEAN;
import static ai.finerewards.schemas.ColumnType.Primitive.DOUBLE;
import static ai.finerewards.schemas.ColumnType.Primitive.INT;
import static ai.finerewards.schemas.ColumnType.Primitive.LONG;
import static ai.finerewards.schemas.ColumnType.Primitive.STRING;
import static ai.finerewards.schemas.ColumnType.Primitive.TIMESTAMP;

import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.StructOf;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The single source of truth for every table of a run: one {@link TableContract} per table, in
 * pipeline order. Spark schemas ({@code SparkSchemas}) and the documents under
 * {@code data-schemas/docs/} are generated from these constants; edit here, bump the version,
 * regenerate the docs.
 *
 * <p>Conventions: snake_case names; the sample key is (round, prompt_id, sample_idx); {@code round}
 * is the directory partition {@code round=<r>}; a model id ({@code *_model_id}) names an exported
 * model directory as {@code <manifest source.checkpoint>@<first 12 hex chars of source.weights_sha256>}
 * (e.g. {@code runwayml/stable-diffusion-v1-5@3f2a9c0b1d4e}), so lineage survives renamed folders; a nullable {@code error} column carries why a row has no result
 * instead of dropping the row, so every sample stays accounted for.
 */
public final class Tables {

  private Tables() {}

  static final String ROUND_DOC = "RAFT round this row belongs to (0 = base model); the directory partition round=<r>";

  private static ColumnSpec round() {
    return required("round", INT, ROUND_DOC, "");
  }

  private static ColumnSpec promptId() {
    return required("prompt_id", STRING,
        "id of the prompt (given in the input or derived: 16 hex chars of SHA-256 of the normalised text)", "");
  }

  private static ColumnSpec sampleIdx() {
    return required("sample_idx", INT, "index of the candidate among the prompt's N samples, 0 .. N-1", "");
  }

  private static List<ColumnSpec> sampleKey() {
    return List.of(round(), promptId(), sampleIdx());
  }

  private static final List<String> SAMPLE_KEY = List.of("round", "prompt_id", "sample_idx");
  private static final List<String> BY_ROUND = List.of("round");

  private static ColumnSpec createdAt(String what) {
    return required("created_at", TIMESTAMP, "when the " + what + " was computed (informational; not part of the key)", "UTC instant");
  }

  private static ColumnSpec error(String what) {
    return optional("error", STRING,
        "null on success; otherwise why " + what + " could not be computed (e.g. undecodable image), and the result columns are null", "");
  }

  private static List<ColumnSpec> concat(List<ColumnSpec> head, ColumnSpec... tail) {
    List<ColumnSpec> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  // ------------------------------------------------------------------------------------------ prompts

  public static final TableContract PROMPTS = new TableContract(
      "prompts", 1, Storage.PARQUET, "prompts/round=<r>/",
      "The validated prompt set a round generates from: the input file (Parquet, JSON Lines, CSV/TSV or text) "
          + "after the checks of finerewards.prompts (null, blank, duplicate and undecodable rows reported and "
          + "skipped or failed by policy). One row per prompt; lineage points back to the input file and line.",
      "generate (prompt ingest, PromptSource)",
      List.of("generate", "score", "report"),
      BY_ROUND,
      List.of("round", "prompt_id"),
      List.of(
          round(),
          promptId(),
          required("prompt", STRING, "the prompt text exactly as read (not normalised); never blank", ""),
          required("prompt_id_derived", BOOLEAN, "true when prompt_id was derived from the text because the input had none", ""),
          required("source_file", STRING, "URI of the input file the prompt came from", ""),
          required("source_row", LONG,
              "1-based position in source_file: line number for text and JSON Lines, record number after the header "
                  + "for CSV/TSV, row number for Parquet", "")));

  // ------------------------------------------------------------------------------------------ samples

  /** Hugging Face datasets' Image feature: {bytes, path}; datasets, DuckDB and Spark all read it. */
  public static final StructOf IMAGE = new StructOf(List.of(
      optional("bytes", BINARY, "the encoded image (PNG)", "PNG bytes"),
      optional("path", STRING, "file name hint for datasets' Image feature: <prompt_id>-<sample_idx>.png; no file exists there", "")));

  public static final TableContract SAMPLES = new TableContract(
      "samples", 1, Storage.PARQUET, "samples/round=<r>/",
      "Every generated candidate image with its full lineage: which model, LoRA checkpoint, scheduler, steps, "
          + "guidance, size and seed produced it. The seed is a pure function of (base seed, round, prompt_id, "
          + "sample_idx), so a re-run writes the same image. The image column opens as an Image feature in "
          + "Hugging Face datasets.",
      "generate",
      List.of("caption", "segment", "score", "train", "report"),
      BY_ROUND,
      SAMPLE_KEY,
      concat(sampleKey(),
          required("prompt", STRING, "the prompt text the image was generated from (copied from prompts)", ""),
          optional("negative_prompt", STRING, "negative prompt used for classifier-free guidance; null = unconditional (empty) prompt", ""),
          required("seed", LONG, "seed of the initial latent noise, derived from (base seed, round, prompt_id, sample_idx)", ""),
          required("image", IMAGE, "the generated image as {bytes, path}, like Hugging Face datasets' Image feature", ""),
          required("width", INT, "image width", "pixels"),
          required("height", INT, "image height", "pixels"),
          required("model_id", STRING, "model id of the diffusion model: <manifest source.checkpoint>@<first 12 hex chars of its weights hash>", ""),
          optional("lora_checkpoint_id", STRING, "checkpoint_id of the LoRA weights applied; null = base model (round 0)", ""),
          required("scheduler", STRING, "sampling scheduler, diffusers class name (e.g. DPMSolverMultistepScheduler)", ""),
          required("steps", INT, "number of denoising steps", "steps"),
          required("guidance_scale", DOUBLE, "classifier-free guidance scale (1 = no guidance)", ""),
          required("truncated_tokens", INT, "prompt tokens dropped by the text encoder's 77-token limit (0 = none)", "tokens"),
          createdAt("image")));

  // ------------------------------------------------------------------------------------------ captions

  public static final TableContract CAPTIONS = new TableContract(
      "captions", 1, Storage.PARQUET, "captions/round=<r>/",
      "The caption reward of every sample: the captioner's greedy caption of the image and the cosine similarity "
          + "of the CLIP text embeddings (projected, L2-normalised) of the prompt and of the caption.",
      "caption",
      List.of("rank", "report"),
      BY_ROUND,
      SAMPLE_KEY,
      concat(sampleKey(),
          optional("caption", STRING, "the captioner's greedy caption of the image; null when error is set", ""),
          optional("caption_reward", DOUBLE,
              "cosine similarity of the CLIP text embeddings of prompt and caption, in [-1, 1]; null when error is set", "cosine"),
          required("captioner_model_id", STRING, "id of the captioner model directory (e.g. BLIP-2 opt-2.7b export)", ""),
          required("clip_model_id", STRING, "id of the CLIP model directory whose text tower embedded prompt and caption", ""),
          error("the caption"),
          createdAt("caption")));

  // ------------------------------------------------------------------------------------------ segments

  public static final StructOf BBOX = new StructOf(List.of(
      required("x0", INT, "left edge, inclusive", "pixels"),
      required("y0", INT, "top edge, inclusive", "pixels"),
      required("x1", INT, "right edge, exclusive", "pixels"),
      required("y1", INT, "bottom edge, exclusive", "pixels")));

  /** COCO run-length encoding, as pycocotools' mask.encode writes it (SAM's "coco_rle" output). */
  public static final StructOf MASK_RLE = new StructOf(List.of(
      required("size", new ArrayOf(INT, false), "[height, width] of the mask", "pixels"),
      required("counts", STRING,
          "COCO compressed RLE string of the binary mask in column-major (Fortran) order; "
              + "pycocotools.mask.decode({'size': size, 'counts': counts}) restores it", "")));

  public static final StructOf PART = new StructOf(List.of(
      required("part_idx", INT, "index of the part within the image, 0-based, in the segmenter's output order", ""),
      optional("label", STRING, "category from the label vocabulary given by zero-shot CLIP on the part's crop; null = below the label threshold", ""),
      optional("label_prob", DOUBLE, "CLIP softmax probability of label over the vocabulary; null when label is null", "probability"),
      required("area_fraction", DOUBLE, "mask area divided by image area, in (0, 1]", "fraction"),
      required("bbox", BBOX, "bounding box of the mask", "pixels"),
      required("stability_score", DOUBLE, "SAM stability score of the mask", ""),
      required("predicted_iou", DOUBLE, "SAM's predicted IoU of the mask", ""),
      required("mask_rle", MASK_RLE, "the part's binary mask, COCO RLE", "")));

  public static final TableContract SEGMENTS = new TableContract(
      "segments", 1, Storage.PARQUET, "segments/round=<r>/",
      "The parts of every sample's image: Segment Anything automatic masks, each labelled by zero-shot CLIP over "
          + "the label vocabulary on the part's crop.",
      "segment",
      List.of("score", "report"),
      BY_ROUND,
      SAMPLE_KEY,
      concat(sampleKey(),
          optional("parts", new ArrayOf(PART, false), "the image's parts in segmenter order; empty = no mask found; null when error is set", ""),
          required("n_parts", INT, "number of parts (0 when error is set)", "parts"),
          required("segmenter_model_id", STRING, "id of the segmenter model directory (SAM export)", ""),
          required("clip_model_id", STRING, "id of the CLIP model directory that labelled the parts", ""),
          required("label_vocabulary_id", STRING, "16 hex chars of SHA-256 of the label vocabulary (one label a line, UTF-8)", ""),
          error("the segmentation"),
          createdAt("segmentation")));

  // ------------------------------------------------------------------------------------------ llm_scores

  public static final StructOf LABEL_SCORE = new StructOf(List.of(
      required("label", STRING, "a distinct part label of the image", ""),
      required("p1", DOUBLE, "probability of answer \"1\" (unlikely), next-token softmax renormalised over {\"1\",\"2\",\"3\"}", "probability"),
      required("p2", DOUBLE, "probability of answer \"2\" (may appear), renormalised as p1", "probability"),
      required("p3", DOUBLE, "probability of answer \"3\" (certain), renormalised as p1", "probability"),
      required("answer_mass", DOUBLE, "sum of the three answer tokens' probabilities before renormalising: how much the LLM kept to the scale", "probability"),
      required("expected_score", DOUBLE, "1*p1 + 2*p2 + 3*p3, in [1, 3]", "scale points")));

  public static final TableContract LLM_SCORES = new TableContract(
      "llm_scores", 1, Storage.PARQUET, "llm_scores/round=<r>/",
      "The SAM reward of every sample: for each distinct part label, the LLM's expected answer on the scale "
          + "3 = certain, 2 = may appear, 1 = unlikely to appear in the scene the prompt describes (one forward "
          + "pass per question, deterministic); the reward is (mean expected_score - 2) / 2, in [-0.5, 0.5].",
      "score",
      List.of("rank", "report"),
      BY_ROUND,
      SAMPLE_KEY,
      concat(sampleKey(),
          optional("label_scores", new ArrayOf(LABEL_SCORE, false),
              "one entry per distinct label, in first-appearance order; empty when no part has a label; null when error is set", ""),
          required("n_labels", INT, "number of distinct labels scored", "labels"),
          optional("sam_reward", DOUBLE,
              "(mean expected_score - 2) / 2 in [-0.5, 0.5]; for an image with no labelled part the value configured "
                  + "in finerewards.score (documented there); null when error is set", ""),
          required("no_labels", BOOLEAN, "true when the image had no labelled part and sam_reward is the configured default", ""),
          required("llm_model_id", STRING, "id of the LLM model directory (e.g. Vicuna-7B v1.5 export)", ""),
          error("the score"),
          createdAt("score")));

  // ------------------------------------------------------------------------------------------ ranked

  public static final TableContract RANKED = new TableContract(
      "ranked", 1, Storage.PARQUET, "ranked/round=<r>/",
      "Every candidate with each reward, its per-reward rank within its prompt, the assembled score, its rank "
          + "within the prompt and whether it was selected for training. The rewards are maps keyed by the reward "
          + "names configured in finerewards.rank (e.g. caption, sam), so adding a reward needs no schema change; "
          + "query one with rewards['caption']. The selected rows are what train consumes (it joins samples on the "
          + "key for prompt and image).",
      "rank",
      List.of("train", "report"),
      BY_ROUND,
      SAMPLE_KEY,
      concat(sampleKey(),
          required("rewards", new MapOf(DOUBLE, true),
              "reward name -> value, one entry per configured reward; null value = missing or NaN reward", ""),
          required("reward_ranks", new MapOf(DOUBLE, true),
              "reward name -> rank of the value among the prompt's candidates, 1 = best, ties share the mean rank; null when the reward is missing", "rank"),
          required("assembly", STRING, "how the rewards were combined: rank_sum, zscore or weighted_sum", ""),
          optional("assembled_score", DOUBLE, "the combined score (higher is better); null when excluded", ""),
          optional("rank_in_prompt", INT, "1-based position by assembled_score within the prompt after the deterministic tie-break; null when excluded", "rank"),
          required("selected", BOOLEAN, "true when the candidate is kept for training this round", ""),
          optional("excluded_reason", STRING, "null when the candidate took part in the ranking; otherwise why not (e.g. missing reward sam)", ""),
          createdAt("ranking")));

  // ------------------------------------------------------------------------------------------ train_metrics

  public static final TableContract TRAIN_METRICS = new TableContract(
      "train_metrics", 1, Storage.PARQUET, "train_metrics/round=<r>/",
      "One row per optimiser step of the LoRA fine-tuning of a round: loss, learning rate, gradient norm and "
          + "progress; the row of the last step names the checkpoint written.",
      "train",
      List.of("report"),
      BY_ROUND,
      List.of("round", "step"),
      List.of(
          round(),
          required("step", INT, "optimiser step within the round, 1-based", "steps"),
          required("loss", DOUBLE, "denoising MSE loss of the step's batch (mean over elements)", ""),
          required("lr", DOUBLE, "learning rate applied at this step", ""),
          optional("grad_norm", DOUBLE, "L2 norm of the LoRA gradients before clipping; null when not computed", ""),
          required("batch_size", INT, "samples in the step's batch", "samples"),
          required("samples_seen", LONG, "training samples consumed in the round up to and including this step", "samples"),
          required("elapsed_s", DOUBLE, "wall time since the round's training started", "seconds"),
          optional("checkpoint_id", STRING, "checkpoint written after this step; null when none was", ""),
          createdAt("step")));

  // ------------------------------------------------------------------------------------------ checkpoint manifest

  public static final TableContract CHECKPOINT = new TableContract(
      "checkpoint", 2, Storage.JSON, "checkpoints/round=<r>/checkpoint.json",
      "The manifest of a round's LoRA checkpoint: a JSON object (UTF-8) beside pytorch_lora_weights.safetensors "
          + "(the layout diffusers' load_lora_weights reads). Generation of the next round loads it and records "
          + "checkpoint_id in samples.lora_checkpoint_id. Timestamps are ISO-8601 UTC strings; contract_version "
          + "holds this contract's version.",
      "train",
      List.of("generate", "report"),
      List.of(),
      List.of("checkpoint_id"),
      List.of(
          required("contract_version", INT, "version of this contract the document was written under", ""),
          required("checkpoint_id", STRING, "r<round>-<first 12 hex chars of weights_sha256>", ""),
          required("round", INT, "round whose selected samples trained it", ""),
          required("base_model_id", STRING, "id of the diffusion model directory the LoRA applies to", ""),
          optional("parent_checkpoint_id", STRING, "checkpoint training started from; null = LoRA B initialised to zero (round 0)", ""),
          required("weights_file", STRING, "file name of the LoRA weights beside this manifest", ""),
          required("weights_sha256", STRING, "SHA-256 (hex) of weights_file", ""),
          required("lora_rank", INT, "LoRA rank r", ""),
          required("lora_alpha", DOUBLE, "LoRA alpha (scale = alpha / rank)", ""),
          required("target_modules", new ArrayOf(STRING, false), "attention projections carrying LoRA layers (to_q, to_k, to_v, to_out.0)", ""),
          required("steps", INT, "optimiser steps taken", "steps"),
          required("samples", LONG, "distinct selected samples trained on", "samples"),
          required("data_rounds", new ArrayOf(INT, false), "rounds whose selected samples it was trained on, ascending (the round and train.history-rounds earlier ones); added in version 2", ""),
          required("batch_size", INT, "samples per optimiser step", "samples"),
          required("learning_rate", DOUBLE, "peak learning rate", ""),
          required("seed", LONG, "seed of the training noise and timestep draws", ""),
          optional("final_loss", DOUBLE, "loss of the last step; null when no step ran", ""),
          required("created_at", TIMESTAMP, "when the checkpoint was written", "UTC instant")));

  // ------------------------------------------------------------------------------------------ evaluations

  public static final TableContract EVALUATIONS = new TableContract(
      "evaluations", 1, Storage.PARQUET, "evaluations/round=<r>/",
      "Held-out evaluation of the model after each round: fresh samples of the evaluation prompts "
          + "(finerewards.evaluate.prompts) generated by the LoRA checkpoint that round r's train stage wrote, "
          + "scored with every configured reward. Partition round=0 also holds the base model's samples "
          + "(checkpoint_round = -1), so one commit per round carries its evaluation and the base model is "
          + "scored once. Seeds depend on (evaluate.base-seed, prompt_id, sample_idx) only, never on the round: "
          + "every checkpoint draws the same initial noise. The images, captions and parts stay under "
          + "<root>/evaluate/checkpoint=<c>/ in the tables of the same names.",
      "evaluate",
      List.of("report"),
      BY_ROUND,
      List.of("round", "checkpoint_round", "prompt_id", "sample_idx"),
      List.of(
          required("round", INT, "RAFT round whose train stage wrote the evaluated checkpoint; the directory partition round=<r>", ""),
          required("checkpoint_round", INT, "round of the evaluated LoRA checkpoint; -1 = the base model (only in partition round=0)", ""),
          optional("lora_checkpoint_id", STRING, "checkpoint_id of the LoRA evaluated; null = base model", ""),
          required("model_id", STRING, "model id of the diffusion model", ""),
          promptId(),
          sampleIdx(),
          required("prompt", STRING, "the evaluation prompt text", ""),
          required("seed", LONG, "seed of the initial latent noise: the sample seed of (evaluate.base-seed, round 0, prompt_id, sample_idx), the same for every checkpoint", ""),
          optional("caption", STRING, "the captioner's caption when the caption reward is configured; else null", ""),
          required("rewards", new MapOf(DOUBLE, true),
              "reward name -> value for every reward of finerewards.rank.rewards; null value = missing (the reward's table had an error for the sample)", ""),
          createdAt("evaluation")));

  // ------------------------------------------------------------------------------------------ report

  public static final TableContract REPORT = new TableContract(
      "report", 1, Storage.PARQUET, "report/round=<r>/",
      "The manifest of the HTML report written after round r: one row per page under <root>/report/ "
          + "(index.html covers rounds 0..r). Its commit marker carries the report stage's fingerprint, so an "
          + "unchanged report is skipped on resume.",
      "report",
      List.of("run (resume compares its fingerprint)", "users (which page a round wrote, its checksum)"),
      BY_ROUND,
      List.of("round", "page"),
      List.of(
          round(),
          required("page", STRING, "file name of the page relative to <root>/report/, e.g. index.html", ""),
          required("size_bytes", LONG, "size of the page", "bytes"),
          required("sha256", STRING, "SHA-256 (hex) of the page's bytes", ""),
          createdAt("page")));

  private static final Map<String, TableContract> BY_NAME = index(
      PROMPTS, SAMPLES, CAPTIONS, SEGMENTS, LLM_SCORES, RANKED, TRAIN_METRICS, CHECKPOINT, EVALUATIONS, REPORT);

  private static Map<String, TableContract> index(TableContract... contracts) {
    Map<String, TableContract> m = new LinkedHashMap<>();
    for (TableContract c : contracts) {
      if (m.put(c.name(), c) != null) {
        throw new IllegalStateException("two contracts named " + c.name());
      }
    }
    return m;
  }

  /** Every contract, in pipeline order. */
  public static List<TableContract> all() {
    return List.copyOf(BY_NAME.values());
  }

  /** The contract of {@code name}; an unknown name fails and lists the known ones. */
  public static TableContract byName(String name) {
    TableContract c = BY_NAME.get(name);
    if (c == null) {
      throw new NoSuchElementException("no table contract named '" + name + "'; known tables: " + BY_NAME.keySet());
    }
    return c;
  }
}
