"""Compares the tables of runs of one config on different Spark deployment shapes (bin/test.d/50-determinism.sh).

Every compared value must be equal exactly: images byte for byte, rewards to the last bit (Python
floats are the Parquet doubles), selected flags, train losses, and the sha256 of each round's LoRA
file. Columns that legitimately differ between runs (created_at, elapsed_s) are left out.
Usage: python determinism_compare.py ROOT_A ROOT_B [ROOT_C ...]; exits 1 naming the first difference.
"""
import hashlib
import sys
from pathlib import Path

from pyspark.sql import SparkSession

KEY = ["round", "prompt_id", "sample_idx"]
TABLES = {
    "samples": KEY + ["seed", "image.bytes", "lora_checkpoint_id"],
    "captions": KEY + ["caption", "caption_reward"],
    "segments": None,  # every column but created_at
    "llm_scores": KEY + ["label_scores", "n_labels", "sam_reward"],
    "ranked": KEY + ["rewards", "assembled_score", "rank_in_prompt", "selected"],
    "train_metrics": ["round", "step", "loss", "lr", "grad_norm", "checkpoint_id"],
}


def rows(spark, root, table, columns):
    df = spark.read.parquet(f"{root}/{table}")
    if columns is None:
        columns = [c for c in df.columns if c != "created_at"]
    out = [tuple(r) for r in df.select(*columns).collect()]
    return sorted(out, key=repr), columns


def lora_hashes(root):
    files = sorted(Path(root, "checkpoints").glob("round=*/pytorch_lora_weights.safetensors"))
    return {f.parent.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def main(roots):
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    failures = []
    base = roots[0]
    for table, columns in TABLES.items():
        want, cols = rows(spark, base, table, columns)
        if not want:
            failures.append(f"{base}/{table}: no rows")
        for other in roots[1:]:
            got, _ = rows(spark, other, table, columns)
            if got != want:
                differing = len(set(map(repr, want)) - set(map(repr, got)))
                failures.append(f"{table} differs between {base} and {other}: {differing} of {len(want)} rows"
                                f" ({len(got)} there), columns {cols}")
        print(f"determinism: {table}: {len(want)} rows compared across {len(roots)} runs")
    want = lora_hashes(base)
    if len(want) < 2:
        failures.append(f"{base}/checkpoints: {len(want)} LoRA files, expected one per round (2)")
    for other in roots[1:]:
        if lora_hashes(other) != want:
            failures.append(f"LoRA sha256 differ: {base} {want} vs {other} {lora_hashes(other)}")
    print(f"determinism: LoRA sha256 per round: {want}")
    spark.stop()
    for f in failures:
        print("determinism: FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
