package ai.finerewards.core.diffusion.scheduler;

/**
 * What the model predicts ({@code prediction_type}): the noise, the velocity v (Salimans and Ho 2022,
 * sec. 4), or x_0.
 */
enum Prediction {
  EPSILON("epsilon"),
  V_PREDICTION("v_prediction"),
  SAMPLE("sample");

  final String configValue;

  Prediction(String configValue) {
    this.configValue = configValue;
  }

  /** Parses {@code prediction_type}, accepting only {@code allowed}. */
  static Prediction parse(String owner, String value, Prediction... allowed) {
    String v = Fields.or(value, EPSILON.configValue);
    StringBuilder names = new StringBuilder();
    for (Prediction p : allowed) {
      if (p.configValue.equals(v)) {
        return p;
      }
      names.append(names.length() == 0 ? "" : ", ").append(p.configValue);
    }
    throw new SchedulerConfigError(owner, "prediction_type", v, "one of " + names);
  }
}
