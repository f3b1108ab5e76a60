"""Random access into one split, and the split mappings a `Dataset` holds.

A data set owns both views of its data: whole splits as numpy arrays (`splits[name]`, what the
device-resident path and evaluation take) and a random-access source per split (`source(name)`,
what the grain stream reads batch by batch). For a prepared copy on disk the arrays are read only
when asked for, so streaming a large training split never first reads it whole into memory.
"""

from __future__ import annotations

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


class RecordSplits(Mapping):
    """Splits of a prepared copy: sources at once, whole arrays read on first access and kept."""

    def __init__(self, sources: dict[str, RecordSource], make_split: Any,
                 unreadable: Callable[[Exception], Exception]) -> None:
        self._sources, self._make_split, self._unreadable = sources, make_split, unreadable
        self._read: dict[str, Any] = {}

    def source(self, name: str) -> RecordSource:
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __getitem__(self, name: str) -> Any:
        if name not in self._sources:
            raise KeyError(name)
        if name not in self._read:
            try:
                arrays = read_all(self._sources[name])
            except Exception as error:  # a file damaged after it was opened
                raise self._unreadable(error) from error
            self._read[name] = self._make_split(**arrays)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)
