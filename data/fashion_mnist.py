"""Fashion-MNIST (Zalando, MIT licence): 70000 28x28 grey images of 10 clothing classes, from IDX files.

Source: the Debian package `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`), or any directory
holding the four IDX files, named by `--config.data.path`. Splits: the official 10000-image test set;
a stratified, seeded 5000 of the 60000 training images is held out for validation (55000 remain).
"""

from __future__ import annotations

from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.idx import read_idx
from data.splits import stratified_split

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
VALIDATION_SIZE = 5000
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")
INSTALL_HINT = ("install it with `sudo apt-get install dataset-fashion-mnist` (or `python -m data.install`), "
                "or point --config.data.path at a directory holding "
                "{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")

NAME = "fashion_mnist"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "Debian dataset-fashion-mnist: /usr/share/datasets/fashion-mnist IDX files (or --config.data.path=DIR)"
SPLITS = {"train": 55000, "validation": 5000, "test": 10000}  # examples per split at split_seed 0 (checked by tests)


def _find(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).exists():
            return directory / name
    raise DataError(f"data set 'fashion_mnist': {directory / stem}[.gz] not found; {INSTALL_HINT}")


def _directory(path: str) -> Path:
    directory = Path(path) if path else DEFAULT_DIR
    if not directory.is_dir():
        raise DataError(f"data set 'fashion_mnist': directory {directory} does not exist; {INSTALL_HINT}")
    return directory


def files(config: ml_collections.ConfigDict) -> list[Path]:
    """The four IDX files, train images and labels then test images and labels."""
    directory = _directory(config.path)
    return [_find(directory, f"{prefix}-{kind}-ubyte") for prefix in ("train", "t10k")
            for kind in ("images-idx3", "labels-idx1")]


def read_source(path: str = "") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The official splits as {'train'|'test': (uint8 images [N, 28, 28], int labels [N])}."""
    directory = _directory(path)
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(_find(directory, f"{prefix}-images-idx3-ubyte"), "fashion_mnist")
        labels = read_idx(_find(directory, f"{prefix}-labels-idx1-ubyte"), "fashion_mnist")
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DataError(f"data set 'fashion_mnist': {split} images {images.shape} and labels {labels.shape} "
                            "do not match; the IDX files are from different sets")
        out[split] = (images, labels.astype(np.int32))
    return out


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Images as float32 NHWC in [0, 1], labels as int32."""
    source = read_source(config.path)
    images, labels = source["train"]
    train, validation = stratified_split(labels, VALIDATION_SIZE / len(labels), config.split_seed)

    def split(images: np.ndarray, labels: np.ndarray) -> Split:
        return Split((images.astype(np.float32) / 255.0)[..., None], labels)

    return Dataset(name=NAME, num_classes=10, class_names=CLASSES, splits={
        "train": split(images[train], labels[train]),
        "validation": split(images[validation], labels[validation]),
        "test": split(*source["test"]),
    })
