package ai.finerewards.jobs.score;

import ai.finerewards.core.llm.SamReward;
import ai.finerewards.core.llm.ScoreConfig;
import ai.finerewards.schemas.Tables;
import ai.finerewards.schemas.spark.SparkSchemas;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One sample's {@code llm_scores} row from its segments row and its labels' answers (ordered by
 * first appearance): the label scores and core's SamReward. A segmentation error, or a label
 * whose question could not be answered, becomes the row's error.
 *
 * <p>Input columns: round, prompt_id, sample_idx, seg_error, labels (array of distinct labels),
 * answers (array of struct(label_pos, label, p1, p2, p3, answer_mass, expected_score, pair_error),
 * sorted by label_pos; null when the sample has no label or no answer).
 */
public final class AssembleScores implements MapFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  public static final Encoder<Row> ENCODER = Encoders.row(SparkSchemas.toStructType(Tables.LLM_SCORES));

  private final ScoreConfig config;
  private final String llmModelId;
  private final Timestamp createdAt;

  public AssembleScores(ScoreConfig config, String llmModelId, Timestamp createdAt) {
    this.config = config;
    this.llmModelId = llmModelId;
    this.createdAt = createdAt;
  }

  @Override
  public Row call(Row in) {
    Object round = in.getAs("round");
    Object promptId = in.getAs("prompt_id");
    Object sampleIdx = in.getAs("sample_idx");
    String segError = in.getAs("seg_error");
    if (segError != null) {
      return failed(round, promptId, sampleIdx, "segments row has an error: " + segError);
    }
    List<String> labels = in.isNullAt(in.fieldIndex("labels")) ? List.of() : in.getList(in.fieldIndex("labels"));
    List<Row> answers = in.isNullAt(in.fieldIndex("answers")) ? List.of() : in.getList(in.fieldIndex("answers"));
    if (answers.size() != labels.size()) {
      return failed(round, promptId, sampleIdx, "no LLM answer for " + (labels.size() - answers.size())
          + " of " + labels.size() + " labels (is prompt_id " + promptId + " missing from the prompts table?)");
    }
    Row[] scores = new Row[answers.size()];
    List<Double> expected = new ArrayList<>(answers.size());
    for (int i = 0; i < answers.size(); i++) {
      Row a = answers.get(i);
      String pairError = a.getAs("pair_error");
      if (pairError != null) {
        return failed(round, promptId, sampleIdx, "label '" + a.getAs("label") + "': " + pairError);
      }
      double e = a.getAs("expected_score");
      scores[i] = RowFactory.create(a.getAs("label"), a.getAs("p1"), a.getAs("p2"), a.getAs("p3"),
          a.getAs("answer_mass"), e);
      expected.add(e);
    }
    SamReward reward = SamReward.of(expected, config.noLabelsReward());
    return RowFactory.create(round, promptId, sampleIdx, scores, scores.length, reward.value(), reward.noLabels(),
        llmModelId, null, createdAt);
  }

  private Row failed(Object round, Object promptId, Object sampleIdx, String error) {
    return RowFactory.create(round, promptId, sampleIdx, null, 0, null, false, llmModelId, error, createdAt);
  }
}
