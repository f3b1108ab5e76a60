"""Which examples the analysis reads, and what the probes predict of them.

The subsets are drawn with their own seed (never the run's), so every run on one data set is
measured on the same examples and two runs' representations can be compared row by row (CKA).

- classification: probes fit on a random subset of train, pick their regularisation on the
  validation split (a subset of the same size at most; 20% of the train subset where the data set
  has no validation split) and are scored on the whole evaluation split; CKA and the 2-D maps use
  a fixed random subset of that split.
- language models: an example is one position of a segment, with at least `CONTEXT` characters
  before it in the segment (each segment is read from a zero state). Two targets: the next
  character (the model's own task) and whether the current character continues a word (a letter
  after a letter: a property of the context, not of the current character alone).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from data import Dataset

SEED = 20160530          # the subsets' seed: fixed, independent of any training seed
CONTEXT = 25             # language models: characters of context before a probed position
POSITIONS_PER_SEGMENT = 4


@dataclasses.dataclass(frozen=True)
class Part:
    """Rows of one split to run through the network, and per-example targets.

    `positions` [rows, P] (language models) picks the probed positions of each row; targets then have
    rows * P entries, row-major."""

    split: str
    rows: np.ndarray
    targets: dict[str, np.ndarray]
    positions: np.ndarray | None = None

    def __len__(self) -> int:
        return len(next(iter(self.targets.values())))


def _subset(count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.permutation(count)[:size]) if size < count else np.arange(count)


def classification_parts(dataset: Dataset, train_examples: int, cka_examples: int) -> dict[str, Part]:
    """'train', 'validation', 'test' (the whole evaluation split) and 'cka' (a subset of it)."""
    rng = np.random.default_rng(SEED)
    train = dataset.splits["train"]
    rows = _subset(len(train), train_examples, rng)
    if "validation" in dataset.splits and dataset.eval_split != "validation":
        val_split = dataset.splits["validation"]
        val_rows, val_name = _subset(len(val_split), train_examples, rng), "validation"
    else:  # carve a validation part out of the train subset
        rows = rng.permutation(rows)
        cut = max(1, len(rows) // 5)
        val_rows, rows, val_name = np.sort(rows[:cut]), np.sort(rows[cut:]), "train"
        val_split = train
    test = dataset.splits[dataset.eval_split]
    cka_rows = _subset(len(test), cka_examples, rng)
    return {"train": Part("train", rows, {"class": train.labels[rows]}),
            "validation": Part(val_name, val_rows, {"class": val_split.labels[val_rows]}),
            "test": Part(dataset.eval_split, np.arange(len(test)), {"class": test.labels}),
            "cka": Part(dataset.eval_split, cka_rows, {"class": test.labels[cka_rows]})}


def continues_word(vocabulary: tuple[str, ...], inputs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """1 where the character at each position is a letter and so is the one before it, else 0."""
    letter = np.array([c.isalpha() for c in vocabulary])
    here = np.take_along_axis(inputs, positions, 1)
    before = np.take_along_axis(inputs, positions - 1, 1)
    return (letter[here] & letter[before]).astype(np.int32).reshape(-1)


def language_model_parts(dataset: Dataset, train_examples: int, cka_examples: int) -> dict[str, Part]:
    """The same four parts for a language model, each a set of (segment, position) examples."""
    rng = np.random.default_rng(SEED)
    parts = {}
    wanted = {"train": ("train", train_examples), "validation": ("validation", train_examples),
              "test": (dataset.eval_split, train_examples), "cka": (dataset.eval_split, cka_examples)}
    for part, (split_name, examples) in wanted.items():
        split = dataset.splits[split_name if split_name in dataset.splits else "train"]
        length = split.inputs.shape[1]
        if length <= CONTEXT:
            raise ValueError(f"segments of {length} characters are too short for {CONTEXT} characters of context")
        rows = _subset(len(split), -(-examples // POSITIONS_PER_SEGMENT), rng)
        positions = np.sort(rng.integers(CONTEXT, length, (len(rows), POSITIONS_PER_SEGMENT)), axis=1)
        inputs, labels = split.inputs[rows], split.labels[rows]
        targets = {"next_character": np.take_along_axis(labels, positions, 1).reshape(-1).astype(np.int32),
                   "inside_word": continues_word(dataset.vocabulary, inputs, positions)}
        parts[part] = Part(split_name, rows, targets, positions)
    return parts
