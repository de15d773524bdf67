package ai.finerewards.core.config;

import com.typesafe.config.Config;

/**
 * The {@code finerewards.run} section: where the tables live, how many rounds, the base seed.
 *
 * @param root the run root, a local path or any Hadoop FileSystem URI; tables go to
 *     {@code <root>/<table>/round=<r>/}
 * @param rounds number of RAFT rounds, at least 1
 * @param baseSeed the seed every sample seed is derived from
 */
public record RunConfig(String root, int rounds, long baseSeed) {
  public static final String SECTION = "run";

  public RunConfig {
    if (root == null || root.isBlank()) {
      throw new ConfigError(SECTION + ".root", root, "a non-empty path or URI");
    }
    if (rounds < 1) {
      throw new ConfigError(SECTION + ".rounds", rounds, "an integer >= 1");
    }
  }

  public static RunConfig from(Config section) {
    SectionReader r = new SectionReader(section, SECTION);
    String root = r.nonBlankString("root");
    try {
      // Reject here what Hadoop would reject later, with the key in the message.
      new org.apache.hadoop.fs.Path(root);
    } catch (IllegalArgumentException e) {
      throw new ConfigError(SECTION + ".root", root, "a path or Hadoop URI (" + e.getMessage() + ")");
    }
    return new RunConfig(root, r.intAtLeast("rounds", 1), r.longValue("base-seed"));
  }
}
