package ai.finerewards.core.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * Renders the effective (resolved) configuration: a canonical JSON of chosen sections, stable
 * across key order, file layout and number spelling ({@code 2}, {@code 2.0}), for resume
 * fingerprints; and a readable HOCON for logs.
 */
public final class EffectiveConfig {
  private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  private EffectiveConfig() {}

  /**
   * Canonical JSON {@code {"<section>": {...}, ...}} of the named sections below
   * {@code finerewards}, keys sorted at every level. A section name may be a nested path
   * ({@code models.diffusion}).
   */
  public static String canonicalJson(Config root, Collection<String> sections) {
    JsonObject out = new JsonObject();
    for (String name : new TreeSet<>(sections)) {
      String path = PipelineConfigLoader.ROOT + "." + name;
      if (!root.hasPathOrNull(path)) {
        throw new ConfigError(name, "(missing)", "a key or section defined in reference.conf");
      }
      out.add(name, toJson(root.getValue(path)));
    }
    return GSON.toJson(out);
  }

  /** SHA-256 (hex) of {@link #canonicalJson}. */
  public static String fingerprint(Config root, Collection<String> sections) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of()
          .formatHex(sha.digest(canonicalJson(root, sections).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The whole {@code finerewards} tree as HOCON with its comments, for logs and --print-config. */
  public static String toHocon(Config root) {
    return root.getValue(PipelineConfigLoader.ROOT)
        .atKey(PipelineConfigLoader.ROOT)
        .root()
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }

  private static JsonElement toJson(ConfigValue v) {
    switch (v.valueType()) {
      case OBJECT:
        ConfigObject obj = (ConfigObject) v;
        JsonObject o = new JsonObject();
        for (String k : new TreeSet<>(obj.keySet())) {
          o.add(k, toJson(obj.get(k)));
        }
        return o;
      case LIST:
        JsonArray a = new JsonArray();
        for (ConfigValue item : (ConfigList) v) {
          a.add(toJson(item));
        }
        return a;
      case NUMBER:
        BigDecimal n = new BigDecimal(v.unwrapped().toString()).stripTrailingZeros();
        return new JsonPrimitive(new BigDecimal(n.toPlainString()));
      case BOOLEAN:
        return new JsonPrimitive((Boolean) v.unwrapped());
      case NULL:
        return JsonNull.INSTANCE;
      default:
        return new JsonPrimitive((String) v.unwrapped());
    }
  }
}
