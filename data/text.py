"""A word tokenizer fitted on training text only, and padding of token ids to fixed-length rows.

Fitting on the training split alone keeps validation and test honest: a word seen only in held-out
text is out of vocabulary, exactly as it would be for new text. Id 0 is padding, id 1 stands for
any out-of-vocabulary word; the rest are the training words seen at least `min_count` times, most
frequent first (ties alphabetical, so the vocabulary is a pure function of the training text).
"""

from __future__ import annotations

import collections
import re
from typing import Iterable, Sequence

import numpy as np

PAD, OOV = 0, 1
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with their apostrophe suffix: "film's", "don't") and single punctuation marks."""
    return _TOKEN.findall(text.lower())


class Tokenizer:
    """Words -> ids with a vocabulary of at most `vocab_size` ids (padding and OOV included).

    `split` turns a text into its tokens; a subclass for another kind of text replaces only it."""

    split = staticmethod(tokenize)

    def __init__(self, words: Sequence[str]) -> None:
        self.vocabulary: tuple[str, ...] = ("<pad>", "<oov>", *words)
        self._ids = {word: i for i, word in enumerate(self.vocabulary)}

    @classmethod
    def fit(cls, texts: Iterable[str], vocab_size: int, min_count: int = 1) -> "Tokenizer":
        if vocab_size < 3:
            raise ValueError(f"vocab_size must be >= 3 (padding, out-of-vocabulary, one word), got {vocab_size}")
        counts = collections.Counter(token for text in texts for token in cls.split(text))
        ranked = sorted((word for word, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls(ranked[: vocab_size - 2])

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> list[int]:
        return [self._ids.get(token, OOV) for token in self.split(text)]

    def encode_padded(self, texts: Sequence[str], max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids [N, max_len] int32 zero-padded, lengths [N] int32); longer texts keep their first `max_len`
        tokens, and an empty text becomes one OOV token (length 1) so every sequence has a last step."""
        ids = np.zeros((len(texts), max_len), np.int32)
        lengths = np.zeros(len(texts), np.int32)
        for row, text in enumerate(texts):
            tokens = self.encode(text)[:max_len] or [OOV]
            ids[row, : len(tokens)] = tokens
            lengths[row] = len(tokens)
        return ids, lengths
