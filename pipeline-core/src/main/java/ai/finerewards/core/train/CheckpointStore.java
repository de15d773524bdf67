package ai.finerewards.core.train;

import ai.finerewards.core.io.HostTensor;
import ai.finerewards.core.io.Safetensors;
import ai.finerewards.core.io.SafetensorsWriter;
import ai.finerewards.core.run.CommitMarker;
import ai.finerewards.core.run.RoundPartitionStore;
import ai.finerewards.schemas.JsonDocumentValidator;
import ai.finerewards.schemas.Tables;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA checkpoints under the run root, on any Hadoop FileSystem:
 *
 * <pre>
 * &lt;root&gt;/checkpoints/round=&lt;r&gt;/                         final: pytorch_lora_weights.safetensors,
 *                                                  checkpoint.json, commit marker
 * &lt;root&gt;/checkpoints/_progress/round=&lt;r&gt;/step-&lt;k&gt;/     resumable: LoRA, optimiser state, metrics
 * </pre>
 *
 * Every checkpoint is written into a fresh directory and renamed into place, so a crash never
 * leaves a half-written checkpoint where a reader or a resume would take it. The final one is
 * published with the table commit protocol of {@link RoundPartitionStore}.
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  public static final String TABLE = "checkpoints";
  public static final String MANIFEST = "checkpoint.json";
  private static final String PROGRESS = "_progress";
  private static final String LORA = "lora.safetensors";
  private static final String OPTIMIZER = "optimizer.safetensors";
  private static final String STATE = "state.json";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
      .disableHtmlEscaping().create();

  private final RoundPartitionStore store;
  private final FileSystem fs;

  public CheckpointStore(RoundPartitionStore store) {
    this.store = store;
    this.fs = store.fileSystem();
  }

  /** A resumable state: LoRA, optimiser and the metrics of the steps taken. */
  public record Progress(String fingerprint, int step, long samplesSeen, double elapsedS,
      float[][] lora, TorchAdamW optimizer, List<StepMetrics> metrics) {}

  /** The final checkpoint directory of {@code round}. */
  public Path finalDir(int round) {
    return store.partition(TABLE, round);
  }

  private Path progressDir(int round) {
    return new Path(new Path(store.tableDir(TABLE), PROGRESS), "round=" + round);
  }

  /** Writes a resumable checkpoint atomically and removes older ones of the round. */
  public void saveProgress(int round, LoraLayout layout, Progress p) {
    Path dir = progressDir(round);
    Path tmp = new Path(dir, "_tmp-" + UUID.randomUUID());
    Path target = new Path(dir, String.format("step-%09d", p.step()));
    try {
      fs.mkdirs(tmp);
      write(new Path(tmp, LORA), LoraWeightsFile.encode(layout, p.lora(), Map.of()));
      SafetensorsWriter opt = new SafetensorsWriter();
      for (int i = 0; i < layout.matrices().size(); i++) {
        LoraLayout.Matrix m = layout.matrices().get(i);
        opt.put("exp_avg/" + m.diffusersKey(), HostTensor.ofFloats(p.optimizer().expAvg()[i].clone(), m.shape()));
        opt.put("exp_avg_sq/" + m.diffusersKey(), HostTensor.ofFloats(p.optimizer().expAvgSq()[i].clone(), m.shape()));
      }
      write(new Path(tmp, OPTIMIZER), opt.toBytes());
      JsonObject state = new JsonObject();
      state.addProperty("fingerprint", p.fingerprint());
      state.addProperty("step", p.step());
      state.addProperty("optimizer_step", p.optimizer().stepCount());
      state.addProperty("samples_seen", p.samplesSeen());
      state.addProperty("elapsed_s", p.elapsedS());
      state.add("metrics", GSON.toJsonTree(p.metrics()));
      write(new Path(tmp, STATE), GSON.toJson(state).getBytes(StandardCharsets.UTF_8));
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
      for (FileStatus st : fs.listStatus(dir)) {
        if (!st.getPath().equals(target)) {
          fs.delete(st.getPath(), true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write training checkpoint " + target, e);
    }
  }

  /**
   * The newest resumable checkpoint of {@code round} if it was written by a run with this
   * {@code fingerprint} (same data, config and base model); another run's is ignored.
   */
  public Optional<Progress> latestProgress(int round, LoraLayout layout,
      TorchAdamW.Hyper hyper, String fingerprint) {
    Path dir = progressDir(round);
    try {
      if (!fs.exists(dir)) {
        return Optional.empty();
      }
      Path latest = null;
      for (FileStatus st : fs.listStatus(dir)) {
        String name = st.getPath().getName();
        if (st.isDirectory() && name.startsWith("step-")
            && (latest == null || name.compareTo(latest.getName()) > 0)) {
          latest = st.getPath();
        }
      }
      if (latest == null) {
        return Optional.empty();
      }
      JsonObject state = JsonParser.parseString(new String(read(new Path(latest, STATE)),
          StandardCharsets.UTF_8)).getAsJsonObject();
      if (!fingerprint.equals(state.get("fingerprint").getAsString())) {
        LOG.warn("ignoring checkpoint {}: written by a run with other data, config or model", latest);
        return Optional.empty();
      }
      float[][] lora = LoraWeightsFile.decode(layout, readSafetensors(new Path(latest, LORA)));
      Safetensors opt = readSafetensors(new Path(latest, OPTIMIZER));
      float[][] m = new float[lora.length][];
      float[][] v = new float[lora.length][];
      for (int i = 0; i < lora.length; i++) {
        String key = layout.matrices().get(i).diffusersKey();
        m[i] = opt.tensor("exp_avg/" + key).floats();
        v[i] = opt.tensor("exp_avg_sq/" + key).floats();
      }
      TorchAdamW adam = TorchAdamW.restore(hyper, state.get("optimizer_step").getAsLong(), m, v);
      List<StepMetrics> metrics = GSON.fromJson(state.get("metrics"),
          new TypeToken<List<StepMetrics>>() {}.getType());
      return Optional.of(new Progress(fingerprint, state.get("step").getAsInt(),
          state.get("samples_seen").getAsLong(), state.get("elapsed_s").getAsDouble(), lora, adam,
          new ArrayList<>(metrics)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read training checkpoints under " + dir, e);
    }
  }

  /** Deletes the resumable checkpoints of {@code round} (after the final one is published). */
  public void clearProgress(int round) {
    try {
      fs.delete(progressDir(round), true);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", progressDir(round), e.toString());
    }
  }

  /** What the final checkpoint's manifest records besides the weights. */
  public record FinalInfo(int round, String baseModelId, String parentCheckpointId, int steps,
      long samples, List<Integer> dataRounds, int batchSize, double learningRate, long seed,
      Double finalLoss, String fingerprint) {
    public FinalInfo {
      dataRounds = List.copyOf(dataRounds);
    }
  }

  /**
   * Publishes the round's final checkpoint (weights + checkpoint.json, checked against the
   * checkpoint contract) atomically, replacing an earlier one. Returns its checkpoint id.
   */
  public String publishFinal(LoraLayout layout, float[][] lora, FinalInfo info) {
    byte[] weights = LoraWeightsFile.encode(layout, lora, Map.of(
        "format", "pt", "base_model_id", info.baseModelId(), "round", String.valueOf(info.round())));
    String sha = sha256(weights);
    String id = "r" + info.round() + "-" + sha.substring(0, 12);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("contract_version", Tables.CHECKPOINT.version());
    doc.put("checkpoint_id", id);
    doc.put("round", info.round());
    doc.put("base_model_id", info.baseModelId());
    doc.put("parent_checkpoint_id", info.parentCheckpointId());
    doc.put("weights_file", LoraWeightsFile.FILE);
    doc.put("weights_sha256", sha);
    doc.put("lora_rank", layout.rank());
    doc.put("lora_alpha", layout.alpha());
    doc.put("target_modules", layout.targetModules());
    doc.put("steps", info.steps());
    doc.put("samples", info.samples());
    doc.put("data_rounds", info.dataRounds());
    doc.put("batch_size", info.batchSize());
    doc.put("learning_rate", info.learningRate());
    doc.put("seed", info.seed());
    doc.put("final_loss", info.finalLoss());
    doc.put("created_at", Instant.now().toString());
    store.recover(TABLE, info.round()); // leftovers of a crashed publish, as for a table write
    Path staging = store.newStaging(TABLE, info.round());
    JsonDocumentValidator.validate(Tables.CHECKPOINT, doc, staging + "/" + MANIFEST);
    try {
      fs.mkdirs(staging);
      write(new Path(staging, LoraWeightsFile.FILE), weights);
      write(new Path(staging, MANIFEST), GSON.toJson(doc).getBytes(StandardCharsets.UTF_8));
      CommitMarker marker = new CommitMarker(CommitMarker.FORMAT, TABLE, info.round(), "train", 1,
          Tables.CHECKPOINT.name(), Tables.CHECKPOINT.version(), info.fingerprint(),
          TrainConfig.class.getPackage().getImplementationVersion() == null ? "dev"
              : TrainConfig.class.getPackage().getImplementationVersion(),
          Instant.now().toString(), store.listDataFiles(staging));
      store.publish(staging, marker);
      return id;
    } catch (IOException | RuntimeException e) {
      store.abort(staging);
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot write the final checkpoint of round " + info.round(), io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * The one rule for "round r's checkpoint exists", used by every reader and by the resume check:
   * the partition is committed and intact (commit marker, every file's size and CRC-32C) and the
   * weights file's SHA-256 equals {@code weights_sha256} of its checkpoint.json.
   */
  public RoundPartitionStore.PartitionState inspect(int round) {
    RoundPartitionStore.PartitionState state = store.inspect(TABLE, round);
    if (!state.isCommitted()) {
      return state;
    }
    Path dir = finalDir(round);
    try {
      JsonObject doc = JsonParser.parseString(new String(read(new Path(dir, MANIFEST)),
          StandardCharsets.UTF_8)).getAsJsonObject();
      String expected = doc.get("weights_sha256").getAsString();
      String actual;
      try (InputStream in = store.openRaw(new Path(dir, doc.get("weights_file").getAsString()))) {
        actual = sha256(in.readAllBytes());
      }
      if (!expected.equals(actual)) {
        return new RoundPartitionStore.PartitionState(Optional.empty(), "weights file has SHA-256 " + actual
            + ", " + MANIFEST + " records " + expected);
      }
      return state;
    } catch (IOException | RuntimeException e) {
      return new RoundPartitionStore.PartitionState(Optional.empty(), "unreadable " + MANIFEST + ": " + e.getMessage());
    }
  }

  /**
   * The checkpoint of {@code round} for a stage of a later round that builds on it: its marker when
   * it exists by {@link #inspect}; empty when the train stage never ran for that round (no
   * {@code train_metrics} partition and no checkpoint directory), so the base model is meant.
   *
   * @throws IllegalStateException when train ran for the round but its checkpoint is missing,
   *     unmarked or damaged: using the base model instead would be silently wrong
   */
  public Optional<CommitMarker> requireIfTrained(int round) {
    RoundPartitionStore.PartitionState state = inspect(round);
    if (state.isCommitted()) {
      return state.marker();
    }
    boolean trained = store.committed(Tables.TRAIN_METRICS.name(), round).isPresent();
    boolean interrupted = store.hasLeftovers(TABLE, round);
    if (!trained && !interrupted && "missing".equals(state.problem())) {
      return Optional.empty();
    }
    String why = interrupted ? "its publish was interrupted" : trained ? "train_metrics round " + round
        + " is committed" : "the directory exists";
    throw new IllegalStateException("the LoRA checkpoint of round " + round + " at " + finalDir(round)
        + " is not usable (" + state.problem() + ") although " + why + "; run `finerewards train --round "
        + round + "` (or `finerewards run`, which recovers or rebuilds it)");
  }

  /**
   * {@code weights_sha256} of {@code round}'s checkpoint.json (call after {@link #inspect} found it
   * committed): what a stage building on the checkpoint puts into its fingerprint besides the
   * marker, so a retrain that gives other weights under the same fingerprint (another device)
   * still recomputes it.
   */
  public String weightsSha256(int round) {
    Path file = new Path(finalDir(round), MANIFEST);
    try {
      return JsonParser.parseString(new String(read(file), StandardCharsets.UTF_8)).getAsJsonObject()
          .get("weights_sha256").getAsString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The LoRA values of {@code round}'s committed final checkpoint, if there is one. */
  public Optional<Committed> committed(int round, LoraLayout layout) {
    if (!inspect(round).isCommitted()) {
      return Optional.empty();
    }
    Path dir = finalDir(round);
    try {
      JsonObject doc = JsonParser.parseString(new String(read(new Path(dir, MANIFEST)),
          StandardCharsets.UTF_8)).getAsJsonObject();
      Map<String, Object> asMap = GSON.fromJson(doc, new TypeToken<Map<String, Object>>() {}.getType());
      JsonDocumentValidator.validate(Tables.CHECKPOINT, asMap, new Path(dir, MANIFEST).toString());
      float[][] lora = LoraWeightsFile.decode(layout,
          readSafetensors(new Path(dir, doc.get("weights_file").getAsString())));
      return Optional.of(new Committed(doc.get("checkpoint_id").getAsString(), lora));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + dir, e);
    }
  }

  /** A committed checkpoint's id and LoRA values. */
  public record Committed(String checkpointId, float[][] lora) {}

  private void write(Path file, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      out.write(bytes);
    }
  }

  private byte[] read(Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return in.readAllBytes();
    }
  }

  private Safetensors readSafetensors(Path file) throws IOException {
    java.nio.file.Path local = Files.createTempFile("finerewards-ckpt-", ".safetensors");
    try {
      Files.write(local, read(file));
      return Safetensors.read(local);
    } finally {
      Files.deleteIfExists(local);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
