package ai.finerewards.jobs.score;

import ai.finerewards.core.llm.AnswerScore;
import ai.finerewards.core.llm.LlmScorer;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.core.model.ModelRuntime;
import ai.finerewards.jobs.task.BatchedIterator;
import ai.finerewards.jobs.task.TaskGpus;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Distinct (prompt, label) rows to their LLM answers, {@code batch-size} pairs per forward pass,
 * one LlmScorer per task. Output: prompt, label, p1, p2, p3, answer_mass, expected_score, error.
 */
public final class ScorePairs implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  public static final StructType SCHEMA = new StructType()
      .add("prompt", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, false)
      .add("p1", DataTypes.DoubleType, true)
      .add("p2", DataTypes.DoubleType, true)
      .add("p3", DataTypes.DoubleType, true)
      .add("answer_mass", DataTypes.DoubleType, true)
      .add("expected_score", DataTypes.DoubleType, true)
      .add("pair_error", DataTypes.StringType, true);
  public static final Encoder<Row> ENCODER = Encoders.row(SCHEMA);

  private final ModelRuntime runtime;
  private final ScoreConfig config;

  public ScorePairs(ModelRuntime runtime, ScoreConfig config) {
    this.runtime = runtime;
    this.config = config;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return List.<Row>of().iterator(); // an empty partition loads no model
    }
    List<String> gpus = TaskGpus.forModels(runtime, "score");
    // Pairs are plain strings: nothing to decode ahead of the model, so no overlap (BatchedIterator).
    return new BatchedIterator<Row, Row, LlmScorer>(rows, config.batchSize(),
        () -> LlmScorer.open(runtime, config, gpus),
        (scorer, batch) -> {
          List<LlmScorer.Pair> pairs = new ArrayList<>(batch.size());
          for (Row r : batch) {
            pairs.add(new LlmScorer.Pair(r.getAs("prompt"), r.getAs("label")));
          }
          List<Row> out = new ArrayList<>(batch.size());
          for (LlmScorer.Result res : scorer.score(pairs)) {
            AnswerScore s = res.score();
            out.add(s == null
                ? RowFactory.create(res.pair().scene(), res.pair().label(), null, null, null, null, null, res.error())
                : RowFactory.create(res.pair().scene(), res.pair().label(), s.p1(), s.p2(), s.p3(), s.answerMass(),
                    s.expectedScore(), null));
          }
          return out;
        });
  }
}
