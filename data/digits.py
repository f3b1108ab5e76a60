"""sklearn's 1797 handwritten digits (8x8, 16 grey levels), shipped inside scikit-learn.

Split: a stratified, seeded 20% test split (359 images) and, of the rest, a stratified 10%
validation split (143); 1295 images remain for training. The split depends only on
`data.split_seed`, never on the training seed, so every run of every model sees the same test set.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split

TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1

NAME = "digits"
VERSION = "1"  # bump when the loader's output changes: prepared copies of another version are not reused
SOURCE = "scikit-learn: sklearn.datasets.load_digits() (pip install scikit-learn)"
SPLITS = {"train": 1295, "validation": 143, "test": 359}  # examples per split at split_seed 0 (checked by tests)


def files(config: ml_collections.ConfigDict) -> list[Path]:
    """The file `load_digits` reads, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("data set 'digits' needs scikit-learn: pip install scikit-learn")
    return [Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Images as float32 NHWC in [0, 1], labels as int32."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise DataError("data set 'digits' needs scikit-learn: pip install scikit-learn") from error
    bunch = load_digits()
    images = (bunch.images.astype(np.float32) / 16.0)[..., None]
    labels = bunch.target.astype(np.int32)
    seed = config.split_seed
    rest, test = stratified_split(labels, TEST_FRACTION, seed)
    train_pos, val_pos = stratified_split(labels[rest], VALIDATION_FRACTION, seed + 1)
    train, validation = rest[train_pos], rest[val_pos]
    splits = {name: Split(images[idx], labels[idx])
              for name, idx in (("train", train), ("validation", validation), ("test", test))}
    return Dataset(name=NAME, splits=splits, num_classes=10, class_names=tuple(map(str, range(10))))
