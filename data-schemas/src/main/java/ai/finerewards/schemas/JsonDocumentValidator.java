package ai.finerewards.schemas;

import ai.finerewards.schemas.ColumnType.ArrayOf;
import ai.finerewards.schemas.ColumnType.MapOf;
import ai.finerewards.schemas.ColumnType.Primitive;
import ai.finerewards.schemas.ColumnType.StructOf;
import ai.finerewards.schemas.SchemaMismatchException.Mismatch;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a parsed JSON document (maps, lists, strings, numbers, booleans, nulls: what Gson or
 * Jackson give for an untyped parse) against a {@link Storage#JSON} contract. Every column must be
 * present (a nullable one may hold null); unknown fields are rejected, because a JSON document has
 * no other reader to tolerate them for; {@code contract_version} must equal the contract's version.
 * TIMESTAMP values are ISO-8601 instants ({@code 2026-11-26T12:00:00Z}); BINARY is not allowed.
 */
public final class JsonDocumentValidator {

  private JsonDocumentValidator() {}

  public static final String VERSION_FIELD = "contract_version";

  public static void validate(TableContract contract, Map<String, ?> document, String source) {
    if (contract.storage() != Storage.JSON) {
      throw new IllegalArgumentException("table " + contract.name() + " is not a JSON document contract");
    }
    List<Mismatch> out = new ArrayList<>();
    checkStruct(contract.columns(), document, "", out);
    Object version = document.get(VERSION_FIELD);
    if (version instanceof Number n && n.doubleValue() != contract.version()) {
      out.add(new Mismatch(VERSION_FIELD, "contract version " + contract.version(), "version " + render(version)));
    }
    if (!out.isEmpty()) {
      throw new SchemaMismatchException(contract.name(), "read " + source, out,
          "written by stage " + contract.writtenBy() + "; see data-schemas/docs/" + contract.name() + ".md");
    }
  }

  private static void checkStruct(List<ColumnSpec> fields, Map<?, ?> obj, String prefix, List<Mismatch> out) {
    for (ColumnSpec f : fields) {
      String path = prefix + f.name();
      if (!obj.containsKey(f.name())) {
        out.add(new Mismatch(path, describe(f), "no such field"));
        continue;
      }
      check(f.type(), f.nullable(), obj.get(f.name()), path, out);
    }
    for (Object key : obj.keySet()) {
      if (fields.stream().noneMatch(f -> f.name().equals(key))) {
        out.add(new Mismatch(prefix + key, "no such field (unknown fields are rejected)", "a field holding " + render(obj.get(key))));
      }
    }
  }

  private static void check(ColumnType type, boolean nullable, Object v, String path, List<Mismatch> out) {
    if (v == null) {
      if (!nullable) {
        out.add(new Mismatch(path, type.ddl() + " not null", "null"));
      }
      return;
    }
    if (type instanceof Primitive p) {
      if (!matches(p, v)) {
        out.add(new Mismatch(path, p.ddl(), render(v)));
      }
    } else if (type instanceof ArrayOf a) {
      if (!(v instanceof List<?> list)) {
        out.add(new Mismatch(path, a.ddl(), render(v)));
        return;
      }
      for (int i = 0; i < list.size(); i++) {
        check(a.element(), a.containsNull(), list.get(i), path + "[" + i + "]", out);
      }
    } else if (type instanceof MapOf m) {
      if (!(v instanceof Map<?, ?> map)) {
        out.add(new Mismatch(path, m.ddl(), render(v)));
        return;
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        check(m.value(), m.valueContainsNull(), e.getValue(), path + "['" + e.getKey() + "']", out);
      }
    } else if (type instanceof StructOf s) {
      if (!(v instanceof Map<?, ?> map)) {
        out.add(new Mismatch(path, s.ddl(), render(v)));
        return;
      }
      checkStruct(s.fields(), map, path + ".", out);
    }
  }

  private static boolean matches(Primitive p, Object v) {
    switch (p) {
      case STRING:
        return v instanceof String;
      case BOOLEAN:
        return v instanceof Boolean;
      case INT:
      case LONG:
        // Untyped JSON parsers give doubles: accept whole numbers within range.
        if (!(v instanceof Number n)) {
          return false;
        }
        double d = n.doubleValue();
        boolean whole = d == Math.rint(d) && !Double.isInfinite(d);
        return whole && (p == Primitive.LONG || (d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE));
      case FLOAT:
      case DOUBLE:
        return v instanceof Number;
      case TIMESTAMP:
        if (!(v instanceof String s)) {
          return false;
        }
        try {
          Instant.parse(s);
          return true;
        } catch (DateTimeParseException e) {
          return false;
        }
      case BINARY:
      default:
        return false;
    }
  }

  private static String describe(ColumnSpec f) {
    return f.type().ddl() + (f.nullable() ? "" : " not null");
  }

  private static String render(Object v) {
    if (v == null) {
      return "null";
    }
    String kind = v instanceof String ? "string" : v instanceof Number ? "number"
        : v instanceof Boolean ? "boolean" : v instanceof List ? "array" : v instanceof Map ? "object" : v.getClass().getSimpleName();
    String text = String.valueOf(v);
    return kind + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
  }
}
