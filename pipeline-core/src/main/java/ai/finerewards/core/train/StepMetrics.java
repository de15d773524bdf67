package ai.finerewards.core.train;

/**
 * One row of {@code train_metrics} (contract in data-schemas {@code Tables.TRAIN_METRICS}).
 *
 * @param checkpointId checkpoint written after this step, or null
 * @param createdAtMillis when the step finished, epoch milliseconds UTC
 */
public record StepMetrics(int round, int step, double loss, double lr, double gradNorm,
    int batchSize, long samplesSeen, double elapsedS, String checkpointId, long createdAtMillis)
    implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  StepMetrics withCheckpoint(String id) {
    return new StepMetrics(round, step, loss, lr, gradNorm, batchSize, samplesSeen, elapsedS, id,
        createdAtMillis);
  }
}
