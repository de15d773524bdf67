"""Checks of the cluster parts of bin/test, on the machine-readable records a run leaves.

  loads DIR [--min-jvms N]         the model cache's load records (FINEREWARDS_MODEL_LOAD_LOG):
                                   every model loaded at most once per JVM; at least N JVMs loaded
  lost-tasks EVENT_LOG_DIR WORD... Spark's event log: for each WORD, a task of a job whose
                                   description contains WORD was lost with its executor
  same-tables ROOT_A ROOT_B TABLE... every table's round partitions hold the same rows, compared
                                   value for value (binary columns byte for byte), whatever the
                                   row order and file split; created_at (the write time) aside

Run it with the Python of the pinned Spark distribution (bin/tool-env spark35): same-tables reads
Parquet with that pyspark. Exits 1 with a message on the first failed check.
"""
import collections
import glob
import json
import os
import sys


def fail(message):
    print("cluster_checks: FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def loads(directory, min_jvms=1):
    files = sorted(glob.glob(os.path.join(directory, "loads-*.jsonl")))
    if not files:
        fail(f"no load records under {directory} (was FINEREWARDS_MODEL_LOAD_LOG passed to the executors?)")
    for path in files:
        counts = collections.Counter()
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    counts[json.loads(line)["model"]] += 1
                except (ValueError, KeyError) as e:
                    fail(f"{path}:{n}: not a load record ({e})")
        twice = {m: c for m, c in counts.items() if c > 1}
        if twice:
            fail(f"{path}: models loaded more than once in one JVM: {twice}")
        print(f"loads: {os.path.basename(path)}: {len(counts)} models, each loaded once")
    if len(files) < min_jvms:
        fail(f"only {len(files)} JVM(s) loaded models under {directory}, expected at least {min_jvms}")
    print(f"loads: {len(files)} JVMs, one load per model per JVM")


def lost_tasks(event_dir, words):
    # Spark 3.5 writes one file per application; Spark 4 rolls them by default: a directory
    # eventlog_v2_<app>/ of events_<n>_<app> files (and an appstatus_ marker).
    logs = []
    for p in sorted(glob.glob(os.path.join(event_dir, "*"))):
        if os.path.isdir(p):
            logs += sorted(glob.glob(os.path.join(p, "events_*")),
                           key=lambda f: int(os.path.basename(f).split("_")[1]))
        elif not p.endswith(".inprogress"):
            logs.append(p)
    if not logs:
        fail(f"no finished event log under {event_dir}")
    packed = [p for p in logs if p.endswith((".zstd", ".lz4", ".snappy", ".lzf"))]
    if packed:
        fail(f"compressed event logs {packed}: run with spark.eventLog.compress=false")
    job_desc, stage_job, lost = {}, {}, []
    for path in logs:
        with open(path, encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                kind = e.get("Event")
                if kind == "SparkListenerJobStart":
                    desc = (e.get("Properties") or {}).get("spark.job.description") or ""
                    job_desc[e["Job ID"]] = desc
                    for s in e.get("Stage IDs", []):
                        stage_job[s] = e["Job ID"]
                elif kind == "SparkListenerTaskEnd":
                    reason = (e.get("Task End Reason") or {}).get("Reason")
                    if reason == "ExecutorLostFailure":
                        lost.append(e["Stage ID"])
    descs = [job_desc.get(stage_job.get(s), "") for s in lost]
    print(f"lost-tasks: {len(lost)} task(s) lost with their executor, in jobs: {sorted(set(descs))}")
    for word in words:
        if not any(word in d for d in descs):
            fail(f"no task of a '{word}' job was lost with its executor: the kill missed the stage")


def comparable(df, columns):
    """The columns, with each map as its entries sorted by key: Spark's EXCEPT refuses maps."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType

    types = {f.name: f.dataType for f in df.schema.fields}
    return df.select(*[F.array_sort(F.map_entries(F.col(c))).alias(c) if isinstance(types[c], MapType)
                       else F.col(c) for c in columns])


def same_tables(root_a, root_b, tables):
    from pyspark.sql import SparkSession  # the pinned distribution's pyspark

    spark = (SparkSession.builder.master("local[1]").appName("cluster-checks")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for table in tables:
            a = spark.read.parquet(os.path.join(root_a, table))
            b = spark.read.parquet(os.path.join(root_b, table))
            if a.schema != b.schema:
                fail(f"{table}: schemas differ:\n  {a.schema.simpleString()}\n  {b.schema.simpleString()}")
            # created_at is when a row was computed (data-schemas: informational, not part of the
            # key): it differs between any two runs. Every other column must match exactly.
            columns = [c for c in a.columns if c != "created_at"]
            a, b = comparable(a, columns), comparable(b, columns)
            only_a, only_b = a.exceptAll(b).count(), b.exceptAll(a).count()
            n = a.count()
            if only_a or only_b or n != b.count():
                differing = [c for c in columns if a.select(c).exceptAll(b.select(c)).count()]
                fail(f"{table}: {only_a} row(s) only under {root_a}, {only_b} only under {root_b};"
                     f" columns whose values differ: {differing}")
            if n == 0:
                fail(f"{table}: no rows under {root_a}")
            print(f"same-tables: {table}: {n} rows identical")
    finally:
        spark.stop()


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "loads":
        min_jvms = 1
        if "--min-jvms" in args:
            i = args.index("--min-jvms")
            min_jvms = int(args[i + 1])
            args = args[:i] + args[i + 2:]
        loads(args[0], min_jvms)
    elif cmd == "lost-tasks":
        lost_tasks(args[0], args[1:])
    elif cmd == "same-tables":
        same_tables(args[0], args[1], args[2:])
    else:
        fail("unknown check " + cmd)


if __name__ == "__main__":
    main(sys.argv)
