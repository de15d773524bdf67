package ai.finerewards.jobs.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.types.StructType;

/**
 * The checks Spark's own transformer suites run on every Params class (the shape of its ParamsSuite
 * checkParams and DefaultReadWriteTest): params sorted by name, each owned by the instance and
 * documented; copy keeps the uid and every value and applies extras; save refuses to overwrite,
 * overwrite works, and load gives the same class, uid and values.
 */
final class TransformerChecks {
  private TransformerChecks() {}

  static void checkParams(FineRewardsTransformer t) {
    Param<?>[] params = t.params();
    String[] names = Arrays.stream(params).map(Param::name).toArray(String[]::new);
    assertThat(names).as("params of %s", t.uid()).isSorted().doesNotHaveDuplicates();
    for (Param<?> p : params) {
      assertThat(p.parent()).as("parent of %s", p.name()).isEqualTo(t.uid());
      assertThat(p.doc()).as("doc of %s", p.name()).isNotBlank();
      assertThat(t.hasDefault(p)).as("default of %s", p.name()).isTrue();
      assertThat(t.explainParams()).contains(p.name());
    }
    FineRewardsTransformer copy = (FineRewardsTransformer) t.copy(ParamMap.empty());
    assertThat(copy).isNotSameAs(t).hasSameClassAs(t);
    assertThat(copy.uid()).isEqualTo(t.uid());
    for (Param<?> p : params) {
      assertThat(value(copy, copy.getParam(p.name()))).as("copied %s", p.name()).isEqualTo(value(t, p));
    }
  }

  /** A copy with {@code param = value} as an extra has it; the original keeps its own. */
  static <T> void checkCopyWithExtra(FineRewardsTransformer t, Param<T> param, T value) {
    Object before = value(t, param);
    FineRewardsTransformer copy = (FineRewardsTransformer) t.copy(new ParamMap().put(param, value));
    assertThat(value(copy, copy.getParam(param.name()))).isEqualTo(normalise(value));
    assertThat(value(t, param)).isEqualTo(before);
  }

  static <T extends FineRewardsTransformer> T checkSaveLoad(T t, Path dir, Function<String, T> load) throws IOException {
    String path = dir.resolve(t.uid()).toString();
    t.save(path);
    assertThatThrownBy(() -> t.save(path)).isInstanceOf(IOException.class);
    t.write().overwrite().save(path);
    T loaded = load.apply(path);
    assertThat(loaded).hasSameClassAs(t);
    assertThat(loaded.uid()).isEqualTo(t.uid());
    for (Param<?> p : t.params()) {
      assertThat(value(loaded, loaded.getParam(p.name()))).as("loaded %s", p.name()).isEqualTo(value(t, p));
    }
    return loaded;
  }

  /** transformSchema fails with a message naming {@code column}. */
  static void checkSchemaError(FineRewardsTransformer t, StructType schema, String column) {
    assertThatThrownBy(() -> t.transformSchema(schema))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + column + "'");
  }

  private static Object value(FineRewardsTransformer t, Param<?> p) {
    return normalise(t.getOrDefault(p));
  }

  private static Object normalise(Object v) {
    return v instanceof Object[] a ? Arrays.asList(a) : v;
  }
}
