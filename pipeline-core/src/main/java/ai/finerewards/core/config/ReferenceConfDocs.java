package ai.finerewards.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The "every key documented" rule for a reference.conf: every key that holds a value (not a
 * section) must have a comment line ({@code #} or {@code //}) on the line directly above it. An
 * open map (its comment contains {@value PipelineConfigLoader#OPEN_MARKER}) counts as one key:
 * its entries are data, documented by the map's comment.
 * HOCON parsing finds the keys and their lines; the text gives the line above.
 */
public final class ReferenceConfDocs {
  private ReferenceConfDocs() {}

  /**
   * The keys of {@code text} (full paths, with line numbers) that lack a comment line directly
   * above them; empty when every key is documented.
   *
   * @param text the content of a reference.conf
   * @param originName a name for parse errors (e.g. the file path)
   */
  public static List<String> undocumentedKeys(String text, String originName) {
    Config parsed =
        ConfigFactory.parseString(
            text, ConfigParseOptions.defaults().setOriginDescription(originName));
    String[] lines = text.split("\r?\n", -1);
    List<String> missing = new ArrayList<>();
    walk(parsed.root(), new ArrayList<>(), lines, missing);
    return missing;
  }

  private static void walk(ConfigObject obj, List<String> path, String[] lines, List<String> out) {
    for (Map.Entry<String, ConfigValue> e : obj.entrySet()) {
      List<String> child = new ArrayList<>(path);
      child.add(e.getKey());
      boolean open = e.getValue().origin().comments().stream()
          .anyMatch(c -> c.contains(PipelineConfigLoader.OPEN_MARKER));
      if (e.getValue() instanceof ConfigObject && !open) {
        walk((ConfigObject) e.getValue(), child, lines, out);
        continue;
      }
      int line = e.getValue().origin().lineNumber(); // 1-based
      String above = line >= 2 ? lines[line - 2].trim() : "";
      if (!(above.startsWith("#") || above.startsWith("//"))) {
        out.add(ConfigUtil.joinPath(child) + " (line " + line + ")");
      }
    }
  }
}
