"""Reader for the IDX files of (Fashion-)MNIST, with checks that turn bad files into clear errors."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from data.dataset import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
           0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: Path, dataset_name: str) -> np.ndarray:
    """The array stored in an IDX file (optionally gzipped); DataError on a missing, truncated or corrupt file."""
    if not path.exists():
        raise DataError(f"data set {dataset_name!r}: missing file {path}")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"data set {dataset_name!r}: {path} is corrupt or truncated ({error}); "
                        "reinstall or re-download it") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(f"data set {dataset_name!r}: {path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"data set {dataset_name!r}: {path} is truncated (incomplete header)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"data set {dataset_name!r}: {path} has {len(raw)} bytes, its header promises "
                        f"{expected}; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
