package ai.finerewards.core.run;

/** Process exit codes of the {@code finerewards} CLI (also listed in its usage text and README). */
public enum ExitCode {
  /** Every requested stage committed its output or was skipped as up to date. */
  OK(0),
  /** A stage failed: bad or missing input table, schema mismatch, Spark or I/O failure. */
  STAGE_FAILED(1),
  /** A requested stage is not built yet. */
  NOT_BUILT(2),
  /** Bad command line; the usage text names the bad argument. */
  USAGE(64),
  /** Bad configuration: unreadable --conf file or an invalid key. */
  CONFIG(78);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
