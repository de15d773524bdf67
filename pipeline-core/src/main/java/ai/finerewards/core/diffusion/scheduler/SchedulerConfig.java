package ai.finerewards.core.diffusion.scheduler;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of a diffusers {@code scheduler_config.json}, under diffusers' names, exactly as the file
 * has them: a field the file lacks (or sets to {@code null}) is {@code null} here, and each scheduler
 * fills it with its own class default. This mirrors diffusers' {@code Class.from_config(file)}, which
 * keeps the shared fields and takes each class's defaults for the rest; fields listed in
 * {@code _use_default_values} count as absent, as {@code from_config} treats them.
 *
 * <p>The record holds the union of the fields of DDIM, DPM-Solver multistep, Euler discrete and PNDM
 * in diffusers 0.31.0. Keys outside that union are kept verbatim in {@link #extra} (so a round trip
 * loses nothing) and ignored by every scheduler, as diffusers ignores them. Value checks (an unknown
 * beta schedule, an unsupported solver) happen in the scheduler constructors, which know each field's
 * meaning; this class checks only JSON types.
 *
 * <p>Serializable, so a Spark partition function can capture it. Record component {@code fooBar} is
 * JSON field {@code foo_bar}; {@code className} and
 * {@code diffusersVersion} are {@code _class_name} and {@code _diffusers_version}.
 */
public record SchedulerConfig(
    String className,
    String diffusersVersion,
    Integer numTrainTimesteps,
    Double betaStart,
    Double betaEnd,
    String betaSchedule,
    List<Double> trainedBetas,
    String predictionType,
    String timestepSpacing,
    Integer stepsOffset,
    Boolean setAlphaToOne,
    Boolean clipSample,
    Double clipSampleRange,
    Boolean thresholding,
    Double dynamicThresholdingRatio,
    Double sampleMaxValue,
    Boolean rescaleBetasZeroSnr,
    Boolean skipPrkSteps,
    Integer solverOrder,
    String algorithmType,
    String solverType,
    Boolean lowerOrderFinal,
    Boolean eulerAtFinal,
    Boolean useKarrasSigmas,
    Boolean useExponentialSigmas,
    Boolean useBetaSigmas,
    Boolean useLuLambdas,
    String finalSigmasType,
    Double lambdaMinClipped,
    String varianceType,
    String interpolationType,
    Double sigmaMin,
    Double sigmaMax,
    String timestepType,
    Map<String, String> extra) implements Serializable {

  private static final String USE_DEFAULT_VALUES = "_use_default_values";
  private static final RecordComponent[] COMPONENTS = SchedulerConfig.class.getRecordComponents();

  /** Copies the collections so the record stays immutable. */
  public SchedulerConfig {
    trainedBetas = trainedBetas == null ? null : List.copyOf(trainedBetas);
    extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
  }

  /** A config with every field absent: each scheduler then runs with its class defaults. */
  public static SchedulerConfig empty() {
    return fromJson("{}", "empty scheduler config");
  }

  /** Reads a {@code scheduler_config.json} file. */
  public static SchedulerConfig read(Path file) throws IOException {
    return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses the text of a {@code scheduler_config.json}.
   *
   * @param source names the text in error messages (a path or a description)
   * @throws SchedulerConfigError if the text is not a JSON object or a field has the wrong JSON type
   */
  public static SchedulerConfig fromJson(String json, String source) {
    JsonElement root;
    try {
      root = JsonParser.parseString(json);
    } catch (JsonParseException e) {
      throw new SchedulerConfigError(source, "(document)", abbreviate(json), "a JSON object (" + e.getMessage() + ")");
    }
    if (!root.isJsonObject()) {
      throw new SchedulerConfigError(source, "(document)", abbreviate(json), "a JSON object");
    }
    JsonObject obj = root.getAsJsonObject();
    Set<String> defaulted = new HashSet<>();
    if (obj.has(USE_DEFAULT_VALUES) && obj.get(USE_DEFAULT_VALUES).isJsonArray()) {
      for (JsonElement e : obj.getAsJsonArray(USE_DEFAULT_VALUES)) {
        defaulted.add(e.getAsString());
      }
    }
    Map<String, RecordComponent> byJsonName = new LinkedHashMap<>();
    for (RecordComponent c : COMPONENTS) {
      if (!c.getName().equals("extra")) {
        byJsonName.put(jsonName(c.getName()), c);
      }
    }
    Object[] args = new Object[COMPONENTS.length];
    Map<String, String> extra = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> entry : obj.entrySet()) {
      String key = entry.getKey();
      JsonElement value = entry.getValue();
      if (key.equals(USE_DEFAULT_VALUES) || defaulted.contains(key)) {
        continue;
      }
      RecordComponent c = byJsonName.get(key);
      if (c == null) {
        extra.put(key, value.toString());
      } else if (!value.isJsonNull()) {
        args[indexOf(c)] = convert(source, key, value, c);
      }
    }
    args[COMPONENTS.length - 1] = extra;
    return construct(args);
  }

  /** This config as {@code scheduler_config.json} text; absent fields are left out. */
  public String toJson() {
    JsonObject obj = new JsonObject();
    for (RecordComponent c : COMPONENTS) {
      Object value = valueOf(c);
      if (c.getName().equals("extra")) {
        extra.forEach((k, v) -> obj.add(k, JsonParser.parseString(v)));
      } else if (value instanceof List<?> list) {
        JsonArray arr = new JsonArray();
        list.forEach(v -> arr.add((Double) v));
        obj.add(jsonName(c.getName()), arr);
      } else if (value instanceof Number n) {
        obj.add(jsonName(c.getName()), new JsonPrimitive(n));
      } else if (value instanceof Boolean b) {
        obj.add(jsonName(c.getName()), new JsonPrimitive(b));
      } else if (value instanceof String s) {
        obj.add(jsonName(c.getName()), new JsonPrimitive(s));
      }
    }
    return new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create().toJson(obj);
  }

  /**
   * This config with some fields replaced, given as JSON text under diffusers' names (e.g.
   * {@code {"timestep_spacing": "trailing"}}); a JSON null removes a field.
   */
  public SchedulerConfig with(String overridesJson) {
    JsonObject base = JsonParser.parseString(toJson()).getAsJsonObject();
    JsonObject over = JsonParser.parseString(overridesJson).getAsJsonObject();
    over.entrySet().forEach(e -> base.add(e.getKey(), e.getValue()));
    return fromJson(new GsonBuilder().serializeSpecialFloatingPointValues().serializeNulls().create().toJson(base),
        "overrides " + overridesJson);
  }

  /** diffusers' field name of a record component, e.g. {@code numTrainTimesteps -> num_train_timesteps}. */
  static String jsonName(String component) {
    switch (component) {
      case "className":
        return "_class_name";
      case "diffusersVersion":
        return "_diffusers_version";
      default:
        StringBuilder sb = new StringBuilder();
        for (char ch : component.toCharArray()) {
          if (Character.isUpperCase(ch)) {
            sb.append('_').append(Character.toLowerCase(ch));
          } else {
            sb.append(ch);
          }
        }
        return sb.toString();
    }
  }

  private static Object convert(String source, String key, JsonElement value, RecordComponent c) {
    Class<?> type = c.getType();
    try {
      if (type == List.class) {
        if (!value.isJsonArray()) {
          throw new SchedulerConfigError(source, key, value, "a JSON array of numbers or null");
        }
        List<Double> out = new ArrayList<>();
        for (JsonElement e : value.getAsJsonArray()) {
          out.add(number(source, key, e).doubleValue());
        }
        return out;
      }
      if (type == String.class) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
          throw new SchedulerConfigError(source, key, value, "a JSON string");
        }
        return value.getAsString();
      }
      if (type == Boolean.class) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
          throw new SchedulerConfigError(source, key, value, "true or false");
        }
        return value.getAsBoolean();
      }
      if (type == Integer.class) {
        double d = number(source, key, value).doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
          throw new SchedulerConfigError(source, key, value, "an integer");
        }
        return (int) d;
      }
      if (type == Double.class) {
        return number(source, key, value).doubleValue();
      }
    } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
      throw new SchedulerConfigError(source, key, value, "a value of type " + type.getSimpleName());
    }
    throw new IllegalStateException("no JSON conversion for record component " + c.getName());
  }

  private static Number number(String source, String key, JsonElement e) {
    if (!e.isJsonPrimitive()) {
      throw new SchedulerConfigError(source, key, e, "a number");
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isNumber()) {
      return p.getAsDouble();
    }
    // Python's json writes -inf as -Infinity; Gson reads that back as a string in lenient mode.
    if (p.isString()) {
      switch (p.getAsString()) {
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        case "NaN":
          return Double.NaN;
        default:
          break;
      }
    }
    throw new SchedulerConfigError(source, key, e, "a number");
  }

  private static int indexOf(RecordComponent c) {
    for (int i = 0; i < COMPONENTS.length; i++) {
      if (COMPONENTS[i].getName().equals(c.getName())) {
        return i;
      }
    }
    throw new IllegalStateException(c.getName());
  }

  private Object valueOf(RecordComponent c) {
    try {
      return c.getAccessor().invoke(this);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read record component " + c.getName(), e);
    }
  }

  private static SchedulerConfig construct(Object[] args) {
    Class<?>[] types = new Class<?>[COMPONENTS.length];
    for (int i = 0; i < COMPONENTS.length; i++) {
      types[i] = COMPONENTS[i].getType();
    }
    try {
      Constructor<SchedulerConfig> ctor = SchedulerConfig.class.getDeclaredConstructor(types);
      return ctor.newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build SchedulerConfig", e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
