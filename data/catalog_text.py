"""Converters from TFDS catalog text data sets to the layouts of the local sequence data sets.

- `imdb_reviews` ({'text', 'label'}) -> the `rotten_tomatoes` layout: word ids [N, data.max_tokens]
  (0 padding, 1 out of vocabulary) from a tokenizer fitted on the training split only, `lengths`,
  labels 0 negative / 1 positive; validation is a stratified, seeded 10% of the catalog's train split.
- `tiny_shakespeare` ({'text'}, one record per split holding the whole text) -> the
  `shakespeare_chars` layout: consecutive [N, data.seq_len] character ids with next-character labels
  over the same fixed vocabulary (other characters become '?'), for the language-model task; without a
  validation split, the last 10% of the training text is held out.

They are registered in `data.catalog.TEXT_CONVERTERS` by `data/__init__.py`.
"""

from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np

from data import config as data_config
from data import shakespeare
from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split
from data.text import Tokenizer

VALIDATION_FRACTION = 0.1
DEFAULT_MAX_TOKENS = 256  # tokens kept per review unless data.max_tokens says otherwise


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def imdb_reviews(name: str, records: dict[str, list[dict[str, Any]]], built: Any,
                 config: ml_collections.ConfigDict) -> Dataset:
    texts = {split: [_text(r["text"]) for r in rows] for split, rows in records.items()}
    labels = {split: np.asarray([int(r["label"]) for r in rows], np.int32) for split, rows in records.items()}
    if "validation" not in texts:
        kept, held = stratified_split(labels["train"], data_config.validation_fraction(config, VALIDATION_FRACTION), config.split_seed)
        texts["validation"] = [texts["train"][i] for i in held]
        labels["validation"] = labels["train"][held]
        texts["train"] = [texts["train"][i] for i in kept]
        labels["train"] = labels["train"][kept]
    tokenizer = Tokenizer.fit(texts["train"], config.vocab_size, config.min_count)
    splits = {}
    for split in texts:
        ids, lengths = tokenizer.encode_padded(texts[split], config.max_tokens or DEFAULT_MAX_TOKENS)
        splits[split] = Split(ids, labels[split], lengths)
    return Dataset(name=name, splits=splits, num_classes=2, vocabulary=tokenizer.vocabulary,
                   eval_split="test" if "test" in splits else "validation")


def tiny_shakespeare(name: str, records: dict[str, list[dict[str, Any]]], built: Any,
                     config: ml_collections.ConfigDict) -> Dataset:
    seq_len = config.seq_len
    known = set(shakespeare.VOCABULARY)
    texts = {split: "".join(_text(r["text"]) for r in rows) for split, rows in records.items()}
    if "validation" not in texts:  # the last 10% of the training text, kept contiguous
        cut = int(len(texts["train"]) * (1 - VALIDATION_FRACTION))
        texts["validation"], texts["train"] = texts["train"][cut:], texts["train"][:cut]
    splits = {}
    for split, text in texts.items():
        text = "".join(c if c in known else "?" for c in text) if not set(text) <= known else text
        if len(text) <= seq_len:
            raise DataError(f"data set {name!r}: split {split!r} holds {len(text)} characters, fewer than "
                            f"data.seq_len={seq_len}")
        splits[split] = shakespeare.segments(shakespeare.encode(text), seq_len)
    return Dataset(name=name, splits=splits, num_classes=len(shakespeare.VOCABULARY), task="language_model",
                   vocabulary=shakespeare.VOCABULARY, eval_split="test" if "test" in splits else "validation")


CONVERTERS = {"imdb_reviews": imdb_reviews, "tiny_shakespeare": tiny_shakespeare}
