"""Reference side of the captioner decoding benchmark (pipeline-core ``CaptionDecodeBenchmarkTest``).

Builds a mid-size random-weight BLIP-2 whose language model has OPT-125m's shape (12 layers, hidden
768, 12 heads, FFN 3072, vocabulary 50272; a small vision tower, 32 query tokens as blip2-opt-2.7b),
saves it as a checkpoint, exports it with the captioner exporter into ``<out>/captioner`` and times
transformers' ``generate`` (greedy, with its KV cache) on the exported model's own weights, loaded the
way the exporter loads them (eager attention), with one intra-op thread. Writes ``<out>/reference.json``:
the pixel values used, the ids ``generate`` returned, and the seconds per image.

    python -m finerewards_export.bench_captioner --out DIR [--images 6] [--max-new-tokens 30]

Nothing here runs in tests: it exists to be timed.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from . import captioner
from .tokenizers_tiny import save_tokenizer

SEED = 0


def bench_model():
    """Random BLIP-2: 64x64 ViT (2 layers, 256 wide), 2-layer Q-Former with 32 queries, OPT-125m-shaped LM."""
    from tokenizers import Tokenizer
    from transformers import Blip2Config, Blip2ForConditionalGeneration

    tok = Tokenizer.from_str(captioner._tiny_tokenizer_json())
    cfg = Blip2Config(
        vision_config=dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=2, num_attention_heads=4,
                           image_size=64, patch_size=16),
        qformer_config=dict(vocab_size=64, hidden_size=256, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=1024, encoder_hidden_size=256, cross_attention_frequency=2,
                            max_position_embeddings=64),
        text_config=dict(model_type="opt", vocab_size=50272, hidden_size=768, ffn_dim=3072, num_hidden_layers=12,
                         num_attention_heads=12, max_position_embeddings=2048, word_embed_proj_dim=768,
                         bos_token_id=2, eos_token_id=50118, pad_token_id=1),
        num_query_tokens=32,
    )
    torch.manual_seed(SEED)
    return Blip2ForConditionalGeneration(cfg).eval(), tok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--images", type=int, default=6)
    p.add_argument("--max-new-tokens", type=int, default=30)
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # the Java side runs libtorch with one intra-op thread too
    t0 = time.perf_counter()
    model, tok = bench_model()
    ckpt = os.path.join(args.out, "checkpoint")
    model.save_pretrained(ckpt, safe_serialization=True)
    save_tokenizer(tok, ckpt)
    captioner._processor_for(model).save_pretrained(ckpt)
    del model
    export_dir = captioner.export(ckpt, args.out, max_new_tokens=args.max_new_tokens, uncached_lm=False)
    export_s = time.perf_counter() - t0

    from transformers import Blip2ForConditionalGeneration

    from . import _hf_util as U

    model = U.load_pretrained(Blip2ForConditionalGeneration, ckpt, torch.float32)
    g = torch.Generator().manual_seed(1)
    pixels = torch.randn(args.images + 1, 3, 64, 64, generator=g)
    ids, seconds = [], []
    with torch.no_grad():
        for i in range(args.images + 1):  # image 0 warms up
            t = time.perf_counter()
            out = model.generate(pixel_values=pixels[i:i + 1], do_sample=False, num_beams=1,
                                 max_new_tokens=args.max_new_tokens)
            seconds.append(time.perf_counter() - t)
            ids.append(out[0].tolist())
    result = {
        "export_dir": export_dir,
        "export_seconds": export_s,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "pixel_values": pixels.flatten().tolist(),
        "pixel_shape": list(pixels.shape),
        "ids": ids,
        "seconds": seconds,
        "max_new_tokens": args.max_new_tokens,
    }
    with open(os.path.join(args.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)
    timed = seconds[1:]
    tokens = sum(len(r) - 1 for r in ids[1:])
    print(f"reference: exported in {export_s:.1f} s; generate {tokens} tokens in {sum(timed):.2f} s "
          f"({tokens / sum(timed):.1f} tokens/s, 1 thread)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
