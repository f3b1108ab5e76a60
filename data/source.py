"""Random access into one split, and the split mappings a `Dataset` holds.

A data set owns both views of its data: whole splits as numpy arrays (`splits[name]`, what the
device-resident path and evaluation take) and a random-access source per split (`source(name)`,
what the grain stream reads batch by batch). For a prepared copy on disk the arrays are read only
when asked for, so streaming a large training split never first reads it whole into memory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

Batch = dict[str, np.ndarray]
FIELDS = ("inputs", "labels", "lengths")


class ArraySource:
    """Random access into in-memory arrays (a split a loader returned, catalog data sets, tests)."""

    def __init__(self, split: Any) -> None:
        self.arrays = {name: getattr(split, name) for name in FIELDS if getattr(split, name) is not None}

    def __len__(self) -> int:
        return len(self.arrays["labels"])

    def gather(self, indices: np.ndarray) -> Batch:
        return {name: array[indices] for name, array in self.arrays.items()}

    @property
    def fields(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """Each field's per-example shape and dtype."""
        return {name: (tuple(a.shape[1:]), a.dtype) for name, a in self.arrays.items()}


class RecordSource:
    """Random access into a prepared TFDS split (array_record files), read record by record."""

    def __init__(self, source: Any, fields: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
        self.source, self.fields = source, fields

    def __len__(self) -> int:
        return len(self.source)

    def gather(self, indices: np.ndarray) -> Batch:
        records = self.source.__getitems__([int(i) for i in indices])
        return {name: np.stack([r[name] for r in records]).astype(dtype) for name, (_, dtype) in self.fields.items()}


def nbytes(source: ArraySource | RecordSource) -> int:
    """Bytes the whole split takes in memory, from its shapes alone (nothing is read)."""
    per_example = sum(int(np.prod(shape)) * np.dtype(dtype).itemsize for shape, dtype in source.fields.values())
    return per_example * len(source)


def read_all(source: ArraySource | RecordSource, batch: int = 8192) -> dict[str, np.ndarray]:
    """A whole split as one numpy array per field, read in chunks."""
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(source), batch):
        for name, array in source.gather(np.arange(start, min(start + batch, len(source)))).items():
            parts.setdefault(name, []).append(array)
    return {name: np.concatenate(arrays) for name, arrays in parts.items()}


class MemorySplits(dict):
    """Splits already in memory, as a loader returns them: `{name: Split}` that also gives sources."""

    def source(self, name: str) -> ArraySource:
        return ArraySource(self[name])


def _load_arrays(directory: Path, names: list[str]) -> dict[str, np.ndarray] | None:
    """The split's arrays from `save_arrays`' files, or None when any is missing or unreadable."""
    try:
        return {name: np.load(directory / f"{name}.npy", allow_pickle=False) for name in names}
    except (OSError, ValueError, EOFError):
        return None


def save_arrays(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    """Writes each array as `.npy`, each file complete or absent (written aside, then renamed). A directory
    that cannot be written leaves things as they were: these files only save time."""
    temporary = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                np.save(file, array, allow_pickle=False)
            os.replace(temporary, directory / f"{name}.npy")
            temporary = None
    except OSError:
        if temporary is not None:  # a half-written file (a full disk) is not left behind
            Path(temporary).unlink(missing_ok=True)


class RecordSplits(Mapping):
    """Splits of a prepared copy: sources at once, whole arrays read on first access and kept.

    Reading a split whole record by record decodes every example (about 4 s for Fashion-MNIST's 60,000 on
    2 cores, most of a warm start); with `array_dir` the first whole read is also written there as plain
    `.npy` files, which later runs load in a fraction of a second.
    """

    def __init__(self, sources: dict[str, RecordSource], make_split: Any,
                 unreadable: Callable[[Exception], Exception], array_dir: Path | None = None) -> None:
        self._sources, self._make_split, self._unreadable = sources, make_split, unreadable
        self._array_dir = array_dir
        self._read: dict[str, Any] = {}

    def source(self, name: str) -> RecordSource:
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __getitem__(self, name: str) -> Any:
        if name not in self._sources:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = self._make_split(**self._arrays(name))
        return self._read[name]

    def _arrays(self, name: str) -> dict[str, np.ndarray]:
        source = self._sources[name]
        directory = self._array_dir / name if self._array_dir is not None else None
        arrays = _load_arrays(directory, list(source.fields)) if directory is not None else None
        if arrays is not None and all(len(array) == len(source) for array in arrays.values()):
            return arrays
        try:
            arrays = read_all(source)
        except Exception as error:  # a file damaged after it was opened
            raise self._unreadable(error) from error
        if directory is not None:
            save_arrays(directory, arrays)
        return arrays

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)
