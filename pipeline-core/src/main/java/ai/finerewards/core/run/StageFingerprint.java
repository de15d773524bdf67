package ai.finerewards.core.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The fingerprint of one stage run for one round: SHA-256 over the stage name, the round, the
 * code version, the effective values of the stage's config sections and the commit markers of
 * the input partitions it reads (their fingerprints and row counts), plus the content hashes of
 * what it reads from outside the run root (prompt files, model files, LoRA directories). Equal
 * fingerprints mean the stage would compute the same output, so {@code finerewards run} may skip it.
 * The run root's own location ({@code run.root}) is left out: a copied or moved run root resumes.
 */
public final class StageFingerprint {
  /** Keys whose value does not change any output: where the run root is. */
  static final List<String> NOT_FINGERPRINTED = List.of("run.root");

  private StageFingerprint() {}

  /** An input partition as the fingerprint sees it. */
  public record Input(String table, int round, String fingerprint, long rowCount) {
    public static Input of(CommitMarker m) {
      return new Input(m.table(), m.round(), m.fingerprint(), m.rowCount());
    }
  }

  /**
   * @param config the effective config, rooted above {@code finerewards}
   * @param inputs the input partitions in the order the stage reads them
   */
  public static String compute(Stage stage, int round, String codeVersion, Config config, List<Input> inputs) {
    StringBuilder text = new StringBuilder();
    text.append("stage=").append(stage.cliName()).append('\n');
    text.append("round=").append(round).append('\n');
    text.append("code=").append(codeVersion).append('\n');
    for (String section : stage.configSections()) {
      String path = "finerewards." + section;
      // Concise rendering sorts keys and drops comments/origins: same values, same text.
      Config scoped = config;
      for (String key : NOT_FINGERPRINTED) {
        scoped = scoped.withoutPath("finerewards." + key);
      }
      String rendered = scoped.hasPath(path)
          ? scoped.getValue(path).render(ConfigRenderOptions.concise())
          : "<absent>";
      text.append("config.").append(section).append('=').append(rendered).append('\n');
    }
    for (Input in : inputs) {
      text.append("input ").append(in.table()).append(" round=").append(in.round())
          .append(" fingerprint=").append(in.fingerprint()).append(" rows=").append(in.rowCount()).append('\n');
    }
    return sha256(text.toString());
  }

  private static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
