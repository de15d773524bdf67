"""Tiny tokenizers: reproducible, and tokenizing exactly as transformers' CLIP tokenizer does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXPORTER_DIR = Path(__file__).resolve().parents[1]
if str(EXPORTER_DIR) not in sys.path:  # tests import the package from the source tree
    sys.path.insert(0, str(EXPORTER_DIR))

from finerewards_export import tokenizers_tiny as tt  # noqa: E402

COMMITTED = EXPORTER_DIR.parent / "models" / "tiny" / "diffusion" / "tokenizer.json"
SAMPLES = [
    "A man riding a WAVE on top of a surfboard!",
    "Two   dogs\tplaying -- with a frisbee (in the park), 1984.",
    "it's the cat's toy; they'll've gone",
    "Zürich café naïve",
    "",
]
# Without ftfy, transformers' slow CLIP tokenizer splits CJK text into single characters and the
# fast one does not (true of the real CLIP tokenizers too), so CJK is only checked to need no unk.


def test_clip_tokenizer_is_reproducible_and_matches_the_committed_file(tmp_path):
    path = tt.save_tokenizer(tt.train_clip_tokenizer(), str(tmp_path), pad_to=77, pad_token=tt.CLIP_EOS)
    assert Path(path).read_bytes() == COMMITTED.read_bytes()  # the diffusion export stores padding
    assert tt.train_clip_tokenizer().to_str() == tt.train_clip_tokenizer().to_str()


def test_clip_vocabulary_has_clips_layout():
    tok = tt.train_clip_tokenizer()
    vocab = tok.get_vocab(with_added_tokens=True)
    size = len(vocab)
    assert vocab["<|startoftext|>"] == size - 2 and vocab["<|endoftext|>"] == size - 1
    assert vocab["!"] == ord("!") and vocab["!</w>"] == 256 + ord("!")  # bytes, then bytes with the suffix
    assert tok.model.end_of_word_suffix == "</w>"


def test_clip_tokenizer_agrees_with_transformers_slow_clip_tokenizer(tmp_path):
    """Written out as vocab.json + merges.txt, transformers' own CLIPTokenizer gives the same ids."""
    from transformers import CLIPTokenizer

    tok = tt.train_clip_tokenizer()
    model = json.loads(tok.to_str())["model"]
    (tmp_path / "vocab.json").write_text(json.dumps(model["vocab"]), encoding="utf-8")
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    slow = CLIPTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    fast = tt.clip_tokenizer_fast(tt.save_tokenizer(tok, str(tmp_path)))
    lines = tt.corpus_lines()[::25] + SAMPLES
    for line in lines:
        assert fast(line).input_ids == slow(line).input_ids, line
    eos = tok.token_to_id("<|endoftext|>")
    stored = json.loads(COMMITTED.read_text())
    assert stored["padding"]["pad_id"] == eos and stored["padding"]["strategy"] == {"Fixed": 77}
    assert stored["truncation"]["max_length"] == 77
    cjk = tok.encode("東京 tower").ids
    assert eos not in cjk[:-1], "every byte has a token: nothing maps to unk"
    padded = fast(["a cat", "word " * 100], padding="max_length", max_length=77, truncation=True).input_ids
    assert [len(p) for p in padded] == [77, 77]
    assert padded[0][:1] == [tok.token_to_id("<|startoftext|>")] and padded[0][-1] == eos and padded[1][-1] == eos


def test_byte_level_bpe_is_reproducible_and_lossless():
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    a = tt.train_byte_level_bpe(600, specials, bos_token="<s>")
    assert a.to_str() == tt.train_byte_level_bpe(600, specials, bos_token="<s>").to_str()
    assert [a.token_to_id(s) for s in specials] == [0, 1, 2, 3]
    assert a.get_vocab_size() == 600
    for line in SAMPLES[:-1]:
        enc = a.encode(line)
        assert enc.ids[0] == 0, "bos prepended"
        assert a.decode(enc.ids, skip_special_tokens=True) == line
    b = tt.train_byte_level_bpe(600, specials, bos_token="<s>", eos_token="</s>", add_eos=True)
    assert b.encode("a cat").ids[-1] == 2
