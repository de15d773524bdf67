"""Extra tokenizer-training text for the tiny llm: the shared caption corpus has no digits and no chat
turns, and the LLM scorer reads the logits of the answers "1", "2", "3" after the Vicuna template."""

from __future__ import annotations

import itertools

from .tokenizers_tiny import corpus_lines

VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
_THINGS = ["a dog", "a surfboard", "an umbrella", "a bus", "a pizza", "a giraffe", "a laptop", "a bench",
           "a clock", "a kite", "a boat", "a cake"]
_SCENES = ["a beach at sunset", "a busy city street", "a kitchen", "a snowy mountain", "a living room",
           "a grassy park"]


def chat_lines() -> list[str]:
    """Deterministic chat turns whose answers are the digits 1, 2 and 3."""
    lines = [VICUNA_SYSTEM]
    for i, (thing, scene) in enumerate(itertools.product(_THINGS, _SCENES)):
        lines.append(f"USER: How likely is {thing} to appear in {scene}? Answer 3, 2 or 1. "
                     f"ASSISTANT: {3 - i % 3}")
    return lines


def llm_corpus_lines() -> list[str]:
    return corpus_lines() + chat_lines()
