"""Tables with an image column open in Hugging Face datasets with PIL images and no cast (issue 17):
their Parquet footers carry the datasets features that data-schemas derives from the contract."""

from __future__ import annotations

import glob
import io
import json
import pathlib

import datasets
import numpy as np
import PIL.Image
import pyarrow as pa
import pyarrow.parquet as pq

import recipes
from conftest import read_rows

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def table_files(root: pathlib.Path) -> dict[str, list[str]]:
    tables = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        files = sorted(glob.glob(str(d / "round=*" / "*.parquet")))
        if files:
            tables[d.name] = files
    return tables


def test_every_table_with_an_image_column_carries_the_features_and_no_other_does(run_root):
    tables = table_files(run_root)
    assert {"samples", "captions", "segments", "llm_scores", "ranked", "train_metrics", "prompts"} <= set(tables)
    with_images = set()
    for name, files in tables.items():
        for f in files:
            schema = pq.read_schema(f)
            has_image = any(field.type == IMAGE for field in schema)
            metadata = (schema.metadata or {}).get(b"huggingface")
            if has_image:
                with_images.add(name)
                assert metadata is not None, f"{f}: image column but no huggingface features metadata"
                features = json.loads(metadata)["info"]["features"]
                assert list(features) == schema.names, f"{f}: features must cover exactly the file's columns"
                for field in schema:
                    if field.type == IMAGE:
                        assert features[field.name] == {"_type": "Image"}
                        assert field.nullable, f"{f}: {field.name} must be nullable for datasets to use the feature"
            else:
                assert metadata is None, f"{f}: no image column, yet features metadata"
    assert "samples" in with_images


def test_load_dataset_gives_pil_images_equal_to_the_png_bytes_with_no_cast(run_root):
    for round_dir in sorted((run_root / "samples").glob("round=*")):
        ds = datasets.load_dataset("parquet", data_files=str(round_dir / "*.parquet"), split="train")
        assert ds.features["image"] == datasets.Image()
        # Every column takes the feature from the footer (none falls back to Arrow inference).
        footer = json.loads(pq.read_schema(next(round_dir.glob("*.parquet"))).metadata[b"huggingface"])
        assert ds.features == datasets.Features.from_dict(footer["info"]["features"])
        raw = {(r["prompt_id"], r["sample_idx"]): r for r in pq.read_table(str(round_dir)).to_pylist()}
        assert len(ds) == len(raw) == 80  # 20 demo prompts x 4 samples
        for row in ds:
            image = row["image"]
            assert isinstance(image, PIL.Image.Image)
            want = raw[(row["prompt_id"], row["sample_idx"])]
            assert image.size == (want["width"], want["height"])
            png = PIL.Image.open(io.BytesIO(want["image"]["bytes"]))
            assert np.array_equal(np.asarray(image), np.asarray(png))


def test_the_images_recipe(all_recipes, run_root):
    [recipe] = [r for r in all_recipes if r.tool == "datasets"]
    namespace: dict = {}
    exec(compile(recipe.with_root(run_root), "docs/analysis.md:images:datasets", "exec"), namespace)
    samples = namespace["result"]
    per_round = {}
    for s in read_rows(run_root, "samples"):
        per_round[s["round"]] = per_round.get(s["round"], 0) + 1
    assert {split: len(ds) for split, ds in samples.items()} == {f"round{r}": n for r, n in per_round.items()}
    assert isinstance(samples["round1"][0]["image"], PIL.Image.Image)
    assert recipes.DEMO_ROOT not in recipe.with_root(run_root)
