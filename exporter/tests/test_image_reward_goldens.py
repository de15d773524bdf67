"""The Java built-in rewards (core.reward.ImageReward) are checked against goldens.json; this test
recomputes every golden with the Python reference (numpy mean, PIL's JPEG encoder as DDPO calls it),
so the goldens cannot drift from what Python produces.

Regenerate (after adding an image): FINEREWARDS_REGENERATE_GOLDENS=1 python -m pytest -k image_reward
"""
import io
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

GOLDENS = Path(__file__).resolve().parents[2] / "pipeline-core/src/test/resources/image-rewards"


def reference_rewards(png: Path) -> dict:
    img = Image.open(png).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)  # DDPO's jpeg_compressibility: -kB at quality 95
    return {
        "brightness": float(np.asarray(img, dtype=np.float64).mean() / 255.0),
        "jpeg_bytes": len(buf.getvalue()),
        "jpeg_compressibility": -len(buf.getvalue()) / 1000.0,
    }


def write_test_images():
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:64, 0:64]
    images = {
        "noise.png": rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
        "gradient.png": np.stack([x * 4, y * 4, (x + y) * 2], -1).astype(np.uint8),
        "smooth_noisy.png": (np.stack([np.sin(x / 5) * 100 + 120, np.cos(y / 7) * 80 + 120, x * 2 + y], -1)
                             + rng.normal(0, 8, (64, 64, 3))).clip(0, 255).astype(np.uint8),
        "odd_size.png": rng.integers(0, 256, (37, 53, 3), dtype=np.uint8),
        "dark.png": (rng.random((48, 80, 3)) * 30).astype(np.uint8),
    }
    for name, pixels in images.items():
        Image.fromarray(pixels).save(GOLDENS / name)
    # A grey PNG: convert("RGB") copies the channel.
    Image.fromarray(((x + y) * 2).astype(np.uint8), mode="L").save(GOLDENS / "grey.png")


def test_goldens_match_python_reference():
    if os.environ.get("FINEREWARDS_REGENERATE_GOLDENS"):
        GOLDENS.mkdir(parents=True, exist_ok=True)
        write_test_images()
        goldens = {p.name: reference_rewards(p) for p in sorted(GOLDENS.glob("*.png"))}
        (GOLDENS / "goldens.json").write_text(json.dumps(goldens, indent=2, sort_keys=True) + "\n")
    goldens = json.loads((GOLDENS / "goldens.json").read_text())
    assert len(goldens) >= 6
    for name, expected in goldens.items():
        assert reference_rewards(GOLDENS / name) == expected, name
