package ai.finerewards.jobs.ml;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;

/**
 * The base of the FineRewards ML transformers: every param is a Spark {@code Param} with a
 * default, so {@code copy}, {@code explainParams} and {@code save}/{@code load}
 * ({@link DefaultParamsWritable}, params as JSON metadata) work as for Spark's own transformers.
 */
public abstract class FineRewardsTransformer extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;

  /** Params name their parent by uid, so the uid is set before any subclass declares a param. */
  protected FineRewardsTransformer(String uid) {
    this.uid = uid;
  }

  @Override
  public final String uid() {
    return uid;
  }

  /** A string param with a default, declared by a subclass in its constructor. */
  protected final Param<String> columnParam(String name, String doc, String defaultValue) {
    Param<String> p = new Param<>(this, name, doc + " (default \"" + defaultValue + "\")");
    setDefault(p, defaultValue);
    return p;
  }

  /** Sets a param and returns this, for the subclasses' typed setters. */
  @SuppressWarnings("unchecked")
  protected final <T extends FineRewardsTransformer, V> T setParam(Param<V> param, V value) {
    set(param, value);
    return (T) this;
  }

  /** A field of {@code like}'s type and nullability under another name. */
  protected static StructField renamed(
      StructField like, String name) {
    return new StructField(name, like.dataType(), like.nullable(),
        Metadata.empty());
  }

}
