"""Command line: ``python -m finerewards_export export|tiny ...`` (run from the exporter folder)."""

from __future__ import annotations

import argparse
import inspect
import os
import sys

from .errors import ExportError, check_torch_version
from .families import MODULES, FamilyUnavailable, load_family
from .manifest import record_file_hashes


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finerewards_export", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("export", help="export a Hugging Face checkpoint to a DJL-loadable model directory")
    e.add_argument("--family", required=True, choices=sorted(MODULES))
    e.add_argument("--checkpoint", required=True, help="checkpoint directory (safetensors weights only)")
    e.add_argument("--out", required=True, help="output root: the model directory is <out>/<family> (files there are replaced)")
    e.add_argument("--lora-rank", type=int, help="diffusion: LoRA rank on to_q/to_k/to_v/to_out.0 (default 4)")
    e.add_argument("--dtype", choices=("float32", "float16"), default=None, help="weights dtype (family default if unset)")
    e.add_argument("--device", default="cpu", help="device to trace on; traced files only run on this device type")
    e.add_argument("--state-dict", help="clip: a fine-tuned CLIP state dict file to load (e.g. HPS v1)")
    e.add_argument("--max-new-tokens", type=int, help="captioner: greedy caption length written to the manifest")
    e.add_argument("--no-uncached-lm", dest="uncached_lm", action="store_false", default=None,
                   help="captioner: leave out lm.pt (the LM without KV cache, a second copy of its weights); "
                        "lm_cached.pt is always written")
    e.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="allow code shipped with the checkpoint to run (off by default; only for families that need it)",
    )

    t = sub.add_parser("tiny", help="build the tiny random-weight models and their golden files")
    t.add_argument("--out", default=os.path.join("..", "models", "tiny"), help="tiny models root (default ../models/tiny)")
    t.add_argument("--family", action="append", choices=sorted(MODULES), help="only these families (repeatable)")

    h = sub.add_parser(
        "hash",
        help="(re)write the 'files' table (size, SHA-256) of an exported model directory's manifest.json",
    )
    h.add_argument("--dir", required=True, action="append", help="model directory (repeatable)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_torch_version()
        if args.command == "export":
            return _export(args)
        if args.command == "hash":
            return _hash(args)
        return _tiny(args)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _export(args) -> int:
    module = load_family(args.family)
    if args.lora_rank is not None and args.lora_rank < 1:
        raise ExportError(f"--lora-rank must be >= 1, got {args.lora_rank}")
    if args.trust_remote_code:
        print("warning: --trust-remote-code: code shipped with the checkpoint may run", file=sys.stderr)
    opts = {"device": args.device, "trust_remote_code": args.trust_remote_code}
    # Family-specific options go to the family only when given, and only if its export names them.
    accepted = {
        n for n, p in inspect.signature(module.export).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    for key in ("lora_rank", "dtype", "state_dict", "max_new_tokens", "uncached_lm"):
        value = getattr(args, key)
        if value is None:
            continue
        if key not in accepted:
            raise ExportError(f"--{key.replace('_', '-')} is not an option of family {args.family!r}")
        opts[key] = value
    out = module.export(args.checkpoint, args.out, **opts)
    record_file_hashes(out)
    print(f"exported {args.family} to {out}")
    return 0


def _tiny(args) -> int:
    families = args.family or list(MODULES)
    os.makedirs(args.out, exist_ok=True)
    skipped = []
    for family in families:
        try:
            module = load_family(family)
        except FamilyUnavailable as e:
            print(f"skipping {family}: {e}", file=sys.stderr)
            skipped.append(family)
            continue
        out = module.build_tiny(args.out)
        record_file_hashes(out)
        print(f"built tiny {family} in {out}")
    if args.family and skipped:
        return 2  # the user asked for these families explicitly
    return 0


def _hash(args) -> int:
    for d in args.dir:
        try:
            files = record_file_hashes(d)
        except FileNotFoundError as e:
            raise ExportError(str(e)) from e
        print(f"recorded {len(files)} file hashes in {os.path.join(d, 'manifest.json')}")
    return 0
