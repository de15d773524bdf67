package ai.finerewards.jobs.rank;

import ai.finerewards.core.config.ConfigError;
import ai.finerewards.core.rank.RankConfig;
import ai.finerewards.core.rank.RewardSpec;
import ai.finerewards.core.reward.ImageReward;
import ai.finerewards.schemas.Tables;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the rank stage reads each reward: {@code finerewards.jobs.rank-inputs}, a list of
 * {@code {table, columns}}. Every reward of {@code finerewards.rank.rewards} comes from exactly one
 * table. The table {@code samples} supplies the built-in image rewards ({@link ImageReward}).
 */
public record RankInputs(List<Source> sources) {
  static final String KEY = "jobs.rank-inputs";

  /** One input table and the reward columns it supplies. */
  public record Source(String table, List<String> columns) {
    public Source {
      columns = List.copyOf(columns);
    }

    /** The samples table supplies the built-in rewards, computed by rank from its images. */
    public boolean suppliesImageRewards() {
      return table.equals(Tables.SAMPLES.name());
    }
  }

  public RankInputs {
    sources = List.copyOf(sources);
  }

  public static RankInputs from(Config config, RankConfig rank) {
    List<? extends Config> entries;
    try {
      entries = config.getConfigList("finerewards." + KEY);
    } catch (ConfigException e) {
      throw new ConfigError(KEY, "(unreadable)", "a list of {table = NAME, columns = [REWARD, ...]}: " + e.getMessage());
    }
    List<Source> sources = new ArrayList<>();
    Map<String, String> tableOf = new HashMap<>();
    for (Config entry : entries) {
      if (!entry.hasPath("table") || !entry.hasPath("columns")) {
        throw new ConfigError(KEY, entry.root().render(), "each entry to have table and columns");
      }
      Source source = new Source(entry.getString("table"), entry.getStringList("columns"));
      if (source.suppliesImageRewards()) {
        for (String column : source.columns()) {
          if (ImageReward.byColumn(column).isEmpty()) {
            throw new ConfigError(KEY, column, "a built-in image reward for table " + source.table() + " ("
                + ImageReward.columns() + "): rank computes those from the images; other rewards come from their own tables");
          }
        }
      }
      for (String column : source.columns()) {
        String previous = tableOf.put(column, source.table());
        if (previous != null) {
          throw new ConfigError(KEY, column, "each reward column in one table only, found in " + previous
              + " and " + source.table());
        }
      }
      sources.add(source);
    }
    for (RewardSpec reward : rank.rewards()) {
      if (!tableOf.containsKey(reward.name())) {
        throw new ConfigError(KEY, tableOf.keySet(), "a table supplying reward '" + reward.name()
            + "' (named in finerewards.rank.rewards)");
      }
    }
    if (sources.isEmpty()) {
      throw new ConfigError(KEY, "[]", "at least one input table");
    }
    return new RankInputs(sources);
  }
}
