package ai.finerewards.core.rank;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.config.SectionReader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parsed {@code finerewards.rank} section: how candidates are ranked and selected. Immutable
 * and serializable, so a Spark job can capture it in a partition function.
 *
 * @param method how per-reward values are combined
 * @param rewards the reward columns in config order (the order in which scores are summed and in
 *     which a candidate's missing rewards are reported)
 * @param keepPerPrompt how many of a prompt's best valid candidates are selected, {@code >= 1}
 * @param minCandidatesPerPrompt a prompt with fewer valid candidates selects none, {@code >= 1}
 * @param globalTopFraction after per-prompt selection, keep only this best fraction of the
 *     selected candidates globally; in (0, 1], where 1 means off
 */
public record RankConfig(
    RankMethod method,
    List<RewardSpec> rewards,
    int keepPerPrompt,
    int minCandidatesPerPrompt,
    double globalTopFraction)
    implements Serializable {

  /** The section's path under {@code finerewards}, used in error messages. */
  public static final String SECTION = "rank";

  static final String METHOD = "method";
  static final String REWARDS = "rewards";
  static final String WEIGHTS = "weights";
  static final String HIGHER_IS_BETTER = "higher-is-better";
  static final String KEEP_PER_PROMPT = "keep-per-prompt";
  static final String MIN_CANDIDATES = "min-candidates-per-prompt";
  static final String GLOBAL_TOP_FRACTION = "global-top-fraction";

  private static final List<String> KNOWN_KEYS =
      List.of(
          METHOD,
          REWARDS,
          WEIGHTS,
          HIGHER_IS_BETTER,
          KEEP_PER_PROMPT,
          MIN_CANDIDATES,
          GLOBAL_TOP_FRACTION);

  // Reward names become Parquet/Spark column names (and <name>_rank): keep them plain identifiers.
  private static final Pattern COLUMN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public RankConfig {
    if (method == null) {
      throw new ConfigError(key(METHOD), null, RankMethod.allowedNames());
    }
    rewards = List.copyOf(rewards);
    if (rewards.isEmpty()) {
      throw new ConfigError(key(REWARDS), "[]", "a non-empty list of reward column names");
    }
    Set<String> names = new HashSet<>();
    for (RewardSpec reward : rewards) {
      if (!names.add(reward.name())) {
        throw new ConfigError(key(REWARDS), reward.name(), "distinct reward names (duplicate)");
      }
    }
    if (rewards.stream().noneMatch(RewardSpec::counts)) {
      throw new ConfigError(
          key(WEIGHTS), "all 0", "at least one reward with a weight > 0 (default weight 1.0)");
    }
    if (keepPerPrompt < 1) {
      throw new ConfigError(key(KEEP_PER_PROMPT), keepPerPrompt, "an integer >= 1");
    }
    if (minCandidatesPerPrompt < 1) {
      throw new ConfigError(key(MIN_CANDIDATES), minCandidatesPerPrompt, "an integer >= 1");
    }
    if (!(globalTopFraction > 0 && globalTopFraction <= 1)) {
      throw new ConfigError(
          key(GLOBAL_TOP_FRACTION), globalTopFraction, "a number in (0, 1]; 1.0 turns it off");
    }
  }

  /** True when the second, global pass ({@link GlobalTopFraction}) must run. */
  public boolean globalCutEnabled() {
    return globalTopFraction < 1.0;
  }

  /** The reward with this name, or null. */
  public RewardSpec reward(String name) {
    return rewards.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * Parses and validates the {@code finerewards.rank} section (pass {@code
   * config.getConfig("finerewards.rank")}, with reference.conf already merged in). Every problem
   * throws {@link ConfigError} naming the key, the value and what was expected.
   */
  public static RankConfig from(Config section) {
    for (Map.Entry<String, ConfigValue> entry : section.root().entrySet()) {
      if (!KNOWN_KEYS.contains(entry.getKey())) {
        throw new ConfigError(
            key(entry.getKey()),
            render(entry.getValue()),
            "one of the known keys " + String.join(", ", KNOWN_KEYS));
      }
    }
    String methodName = string(section, METHOD);
    RankMethod method =
        RankMethod.fromConfigName(methodName)
            .orElseThrow(() -> new ConfigError(key(METHOD), methodName, RankMethod.allowedNames()));

    List<String> names = rewardNames(section);
    ConfigObject weights = object(section, WEIGHTS);
    ConfigObject directions = object(section, HIGHER_IS_BETTER);
    rejectUnknownRewards(weights, WEIGHTS, names);
    rejectUnknownRewards(directions, HIGHER_IS_BETTER, names);

    List<RewardSpec> rewards = new ArrayList<>();
    for (String name : names) {
      double weight = weights.containsKey(name) ? weight(name, weights.get(name)) : 1.0;
      boolean higher = !directions.containsKey(name) || direction(name, directions.get(name));
      rewards.add(new RewardSpec(name, weight, higher));
    }
    return new RankConfig(
        method,
        rewards,
        integer(section, KEEP_PER_PROMPT),
        integer(section, MIN_CANDIDATES),
        number(section, GLOBAL_TOP_FRACTION));
  }

  private static List<String> rewardNames(Config section) {
    List<String> names;
    try {
      names = section.getStringList(REWARDS);
    } catch (ConfigException.Missing e) {
      throw new ConfigError(key(REWARDS), "(missing)", "a list of reward column names");
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(
          key(REWARDS),
          render(section.getValue(REWARDS)),
          "a list of reward column names, e.g. [caption_reward, sam_reward]");
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String name : names) {
      if (!COLUMN_NAME.matcher(name).matches()) {
        throw new ConfigError(
            key(REWARDS), names, "column names matching [A-Za-z_][A-Za-z0-9_]*, got '" + name + "'");
      }
      if (!seen.add(name)) {
        throw new ConfigError(key(REWARDS), names, "distinct reward names, '" + name + "' repeats");
      }
    }
    if (seen.isEmpty()) {
      throw new ConfigError(key(REWARDS), "[]", "a non-empty list of reward column names");
    }
    return List.copyOf(seen);
  }

  private static void rejectUnknownRewards(ConfigObject object, String field, List<String> names) {
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      if (!names.contains(entry.getKey())) {
        throw new ConfigError(
            key(field + "." + entry.getKey()),
            render(entry.getValue()),
            "a reward listed in finerewards.rank.rewards " + names);
      }
    }
  }

  private static double weight(String name, ConfigValue value) {
    String k = key(WEIGHTS + "." + name);
    Double parsed = null;
    if (value.valueType() == ConfigValueType.NUMBER) {
      parsed = ((Number) value.unwrapped()).doubleValue();
    } else if (value.valueType() == ConfigValueType.STRING) {
      try {
        parsed = Double.parseDouble(((String) value.unwrapped()).trim());
      } catch (NumberFormatException e) {
        parsed = null;
      }
    }
    if (parsed == null || !Double.isFinite(parsed) || parsed < 0) {
      throw new ConfigError(k, render(value), "a finite number >= 0");
    }
    return parsed;
  }

  private static boolean direction(String name, ConfigValue value) {
    Object raw = value.unwrapped();
    if (raw instanceof Boolean b) {
      return b;
    }
    if (raw instanceof String s && (s.equals("true") || s.equals("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw new ConfigError(key(HIGHER_IS_BETTER + "." + name), render(value), "true or false");
  }

  private static ConfigObject object(Config section, String path) {
    try {
      return section.getObject(path);
    } catch (ConfigException.Missing e) {
      throw new ConfigError(key(path), "(missing)", "an object mapping reward names to values");
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(
          key(path), render(section.getValue(path)), "an object mapping reward names to values");
    }
  }

  private static String string(Config section, String path) {
    try {
      return section.getString(path);
    } catch (ConfigException.Missing e) {
      throw new ConfigError(key(path), "(missing)", RankMethod.allowedNames());
    } catch (ConfigException.WrongType e) {
      throw new ConfigError(key(path), render(section.getValue(path)), RankMethod.allowedNames());
    }
  }

  // Counts and fractions through the one SectionReader (rejects 1.5 for a count, names the key).
  private static int integer(Config section, String path) {
    return new SectionReader(section, SECTION).intAtLeast(path, 1);
  }

  private static double number(Config section, String path) {
    return new SectionReader(section, SECTION).number(path, "a number in (0, 1]");
  }

  private static String key(String path) {
    return SECTION + "." + path;
  }

  private static String render(ConfigValue value) {
    return value.render(ConfigRenderOptions.concise());
  }
}
