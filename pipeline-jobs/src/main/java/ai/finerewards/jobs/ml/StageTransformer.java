package ai.finerewards.jobs.ml;

import ai.finerewards.core.config.PipelineConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * What every FineRewards ML transformer shares: the pipeline configuration it runs under, as
 * {@link #configFile()} (a HOCON file, like the CLI's {@code --config}) and {@link #settings()}
 * ({@code key=value} overrides, like {@code --set}), applied over reference.conf by the same
 * {@link PipelineConfigLoader} the stages use, so a transformer accepts exactly the keys a run does
 * and rejects unknown ones. Both are plain string params, so {@code save}/{@code load} keep them.
 */
public abstract class StageTransformer extends FineRewardsTransformer {
  private static final long serialVersionUID = 1L;

  private final Param<String> configFile;
  private final StringArrayParam settings;

  protected StageTransformer(String uid) {
    super(uid);
    configFile = new Param<>(this, "configFile",
        "a HOCON config file (local path or Hadoop URI) applied over reference.conf; empty for none");
    settings = new StringArrayParam(this, "settings",
        "key=value overrides applied after configFile, as the CLI's --set (the finerewards. prefix may be left out)");
    setDefault(configFile, "");
    setDefault(settings, new String[0]);
  }

  public Param<String> configFile() {
    return configFile;
  }

  public StringArrayParam settings() {
    return settings;
  }

  public String getConfigFile() {
    return getOrDefault(configFile);
  }

  public String[] getSettings() {
    return getOrDefault(settings);
  }

  public StageTransformer setConfigFile(String value) {
    set(configFile, value);
    return this;
  }

  public StageTransformer setSettings(String... values) {
    set(settings, values.clone());
    return this;
  }

  /** Adds {@code models.<family> = directory} to the settings (a later setting wins). */
  public StageTransformer setModelDirectory(String family, String directory) {
    List<String> all = new ArrayList<>(Arrays.asList(getSettings()));
    all.add("models." + family + "=" + directory);
    return setSettings(all.toArray(new String[0]));
  }

  /** The effective configuration root, resolved and checked for unknown keys. */
  protected Config config() {
    return new PipelineConfigLoader().load(getConfigFile(), Arrays.asList(getSettings()));
  }

  /**
   * The settings that reproduce {@code sections} of an already resolved root exactly: one
   * {@code section=<json>} per section. A stage job hands its effective configuration to its
   * transformer this way, so the job's transformer is one a user could build, save and load.
   */
  public static String[] settingsOf(Config root, String... sections) {
    String[] out = new String[sections.length];
    for (int i = 0; i < sections.length; i++) {
      out[i] = sections[i] + "=" + PipelineConfigLoader.section(root, sections[i]).root()
          .render(ConfigRenderOptions.concise());
    }
    return out;
  }
}
