package ai.finerewards.schemas;

/** How a contract's data is stored. */
public enum Storage {
  /** A Parquet table under {@code <root>/<table>/round=<r>/}, checked through the Spark adapter. */
  PARQUET,
  /** One JSON document (an object whose fields are the columns), checked by {@link JsonDocumentValidator}. */
  JSON
}
