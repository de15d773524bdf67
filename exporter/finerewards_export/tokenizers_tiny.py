"""Small tokenizers for the tiny models, trained with the ``tokenizers`` library on the shipped corpus.

The tiny models must tokenize exactly like their real counterparts (same pipeline, same special
tokens, same file format), only with a small vocabulary, so the Java side exercises the real code
path. Training is deterministic: the same corpus always gives the same ``tokenizer.json`` bytes.
"""

from __future__ import annotations

import os
from collections import Counter
from importlib import resources
from typing import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

CLIP_BOS = "<|startoftext|>"
CLIP_EOS = "<|endoftext|>"
CLIP_MAX_LENGTH = 77
# CLIP's pre-tokenizer splits words, single digits and punctuation runs, then maps bytes to chars.
_CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
_EOW = "</w>"


def corpus_lines() -> list[str]:
    """The shipped caption corpus (``data/corpus.txt``), one non-empty line each."""
    text = resources.files(__package__).joinpath("data/corpus.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _clip_pipeline(tok: Tokenizer) -> None:
    """Normalizer, pre-tokenizer and decoder exactly as transformers' CLIP fast tokenizer has them."""
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()


def _learn_merges(words: Counter, num_merges: int, min_frequency: int = 2) -> list[tuple[str, str]]:
    """Classic BPE merge learning over ``words`` (symbol tuples -> count).

    Written out instead of using ``trainers.BpeTrainer`` because that trainer breaks ties between
    equally frequent pairs in hash order, so two runs give different merges; here ties go to the
    lexicographically smallest pair, which makes the tiny tokenizers reproducible byte for byte.
    """
    words = dict(words)
    merges: list[tuple[str, str]] = []
    while len(merges) < num_merges:
        pairs: Counter = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < min_frequency:
            break
        merges.append(best)
        merged = best[0] + best[1]
        new_words = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            key = tuple(out)
            new_words[key] = new_words.get(key, 0) + count
        words = new_words
    return merges


def _pretokenized(tok: Tokenizer, lines: Iterable[str]) -> list[str]:
    pieces = []
    for line in lines:
        text = tok.normalizer.normalize_str(line) if tok.normalizer is not None else line
        pieces.extend(piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(text))
    return pieces


def train_clip_tokenizer(lines: Iterable[str] | None = None, num_merges: int = 480) -> Tokenizer:
    """A CLIPTokenizerFast-compatible tokenizer with CLIP's vocabulary layout, trained on ``lines``.

    Layout as in openai/clip-vit-large-patch14: the 256 byte-level characters, the same 256 with
    the ``</w>`` end-of-word suffix, one token per merge in merge order, then ``<|startoftext|>``
    and ``<|endoftext|>`` as the last two ids (unk and pad are ``<|endoftext|>``). Listing every
    byte with and without ``</w>`` means no input ever maps to unk, as in the real vocabulary.
    One difference: the 256 byte characters are ordered by byte value (CLIP lists the printable
    ones first); ids are only meaningful within one vocabulary, so nothing depends on it.
    """
    lines = corpus_lines() if lines is None else list(lines)
    probe = Tokenizer(models.BPE())
    _clip_pipeline(probe)
    words = Counter(tuple(w[:-1]) + (w[-1] + _EOW,) for w in _pretokenized(probe, lines))
    byte_chars = sorted(pre_tokenizers.ByteLevel.alphabet(), key=_byte_order)
    vocab: dict[str, int] = {}
    for token in byte_chars + [c + _EOW for c in byte_chars]:
        vocab[token] = len(vocab)
    merges = _learn_merges(words, num_merges)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab[CLIP_BOS] = len(vocab)
    vocab[CLIP_EOS] = len(vocab)
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix=_EOW,
            fuse_unk=False,
            unk_token=CLIP_EOS,
        )
    )
    _clip_pipeline(tok)
    tok.post_processor = processors.RobertaProcessing(
        sep=(CLIP_EOS, vocab[CLIP_EOS]), cls=(CLIP_BOS, vocab[CLIP_BOS]), add_prefix_space=False, trim_offsets=False
    )
    tok.add_special_tokens([CLIP_BOS, CLIP_EOS])
    return tok


def _byte_order(ch: str) -> int:
    """Order byte-level characters by the byte they stand for (GPT-2's bytes_to_unicode map)."""
    return _UNICODE_TO_BYTE[ch]


def _bytes_to_unicode() -> dict[int, str]:
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


_UNICODE_TO_BYTE = {c: b for b, c in _bytes_to_unicode().items()}


def clip_tokenizer_info(tok: Tokenizer) -> dict:
    """Special-token ids and padding rules the Java side needs, for the manifest."""
    eos = tok.token_to_id(CLIP_EOS)
    return {
        "type": "clip-bpe",
        "max_length": CLIP_MAX_LENGTH,
        "bos_token": CLIP_BOS,
        "bos_token_id": tok.token_to_id(CLIP_BOS),
        "eos_token": CLIP_EOS,
        "eos_token_id": eos,
        "pad_token": CLIP_EOS,
        "pad_token_id": eos,
        "padding": "max_length (pad on the right with pad_token_id up to max_length)",
        "truncation": "longest_first to max_length, keeping bos and the final eos",
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
    }


def save_tokenizer(
    tok: Tokenizer,
    out_dir: str,
    name: str = "tokenizer.json",
    pad_to: int | None = None,
    pad_token: str | None = None,
) -> str:
    """Write ``tokenizer.json``; by default with no padding/truncation stored, as transformers saves it.

    With ``pad_to`` the file also carries fixed-length padding with ``pad_token`` and truncation to
    ``pad_to``. DJL's ``HuggingFaceTokenizer`` pads with id 0 unless the file names a pad token, so
    a file meant for ``optPadToMaxLength()`` must carry it (checked against DJL 0.36.0).
    """
    path = os.path.join(out_dir, name)
    tok.no_padding()
    tok.no_truncation()
    if pad_to is not None:
        pad_id = tok.token_to_id(pad_token) if pad_token is not None else None
        if pad_id is None:
            raise ValueError(f"pad_to={pad_to} needs a pad_token in the vocabulary, got {pad_token!r}")
        tok.enable_padding(pad_id=pad_id, pad_token=pad_token, length=pad_to)
        tok.enable_truncation(max_length=pad_to)
    with open(path, "w", encoding="utf-8") as f:
        f.write(tok.to_str(pretty=True))
        f.write("\n")
    return path


def clip_tokenizer_fast(tokenizer_json: str):
    """Wrap a saved CLIP ``tokenizer.json`` as transformers' CLIPTokenizerFast (max length 77)."""
    from transformers import CLIPTokenizerFast

    return CLIPTokenizerFast(
        tokenizer_file=tokenizer_json,
        bos_token=CLIP_BOS,
        eos_token=CLIP_EOS,
        unk_token=CLIP_EOS,
        pad_token=CLIP_EOS,
        model_max_length=CLIP_MAX_LENGTH,
    )


def train_byte_level_bpe(
    vocab_size: int,
    special_tokens: list[str],
    bos_token: str | None,
    eos_token: str | None = None,
    add_bos: bool = True,
    add_eos: bool = False,
    lines: Iterable[str] | None = None,
) -> Tokenizer:
    """A GPT-2 style byte-level BPE (as OPT and many LLaMA-family fast tokenizers use).

    ``special_tokens`` get the first ids in the order given (e.g. OPT: ``["<s>", "<pad>", "</s>",
    "<unk>"]``). The post-processor prepends ``bos_token`` and/or appends ``eos_token`` to every
    single sequence as chosen, which is what OPT/LLaMA tokenizers do with add_special_tokens.
    """
    lines = corpus_lines() if lines is None else list(lines)
    probe = Tokenizer(models.BPE())
    probe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    words = Counter(tuple(w) for w in _pretokenized(probe, lines))
    vocab: dict[str, int] = {}
    for token in list(special_tokens) + sorted(pre_tokenizers.ByteLevel.alphabet(), key=_byte_order):
        vocab.setdefault(token, len(vocab))
    merges = _learn_merges(words, max(0, vocab_size - len(vocab)))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(special_tokens))
    single, pair, specials = "$A", "$A $B:1", []
    if add_bos and bos_token is not None:
        single, pair = f"{bos_token} {single}", f"{bos_token} {pair}"
        specials.append((bos_token, tok.token_to_id(bos_token)))
    if add_eos and eos_token is not None:
        single, pair = f"{single} {eos_token}", f"{pair} {eos_token}"
        specials.append((eos_token, tok.token_to_id(eos_token)))
    for name, idx in specials:
        if idx is None:
            raise ValueError(f"special token {name!r} is not in special_tokens {special_tokens}")
    tok.post_processor = processors.Sequence(
        [processors.ByteLevel(trim_offsets=False), processors.TemplateProcessing(single=single, pair=pair, special_tokens=specials)]
    )
    return tok
