"""Runs the Spark recipes of docs/analysis.md with pyspark and writes their results as JSON.

Run with the Python of a stock Spark distribution (``$(bin/tool-env spark35)/bin/python``):

    python analysis/spark_recipes.py --run RUN_ROOT OUT.json [NAME ...] [--run ...]

Each --run executes the Spark recipes (only the NAMEs, when given) against RUN_ROOT and writes
{name: rows} to OUT.json; several runs share one Spark session (its start is the slow part).

It lives apart from the pytest suite because pyspark comes from its own pinned environment
(requirements/spark35.txt); the suite runs it as a subprocess and reads the JSON.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import recipes  # noqa: E402  (path set above)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", nargs="+", action="append", required=True, metavar="ROOT OUT [NAME]")
    args = parser.parse_args()
    if any(len(run) < 2 for run in args.run):
        parser.error("--run needs a run root and an output file")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("analysis-recipes")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for root, out, *only in args.run:
            results = {}
            for r in recipes.load():
                if r.tool != "spark" or (only and r.name not in only):
                    continue
                namespace = {"spark": spark}
                exec(compile(r.with_root(root), f"docs/analysis.md:{r.name}:spark", "exec"), namespace)
                results[r.name] = [recipes.plain(row.asDict(recursive=True)) for row in namespace["result"].collect()]
            pathlib.Path(out).write_text(json.dumps(results, default=str), encoding="utf-8")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
