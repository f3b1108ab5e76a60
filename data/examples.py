"""Example files for each source of your own data, written from data the installed packages ship:
`python -m data.examples DIR`.

- `DIR/digits.npz`: scikit-learn's digits as float32 images (N, 8, 8, 1) in the keras.datasets
  convention (`x_train, y_train, x_val, y_val, x_test, y_test`), split exactly as the built-in
  `digits` set is, so a run on it reproduces `digits`' numbers;
- `DIR/breast_cancer.csv`: scikit-learn's Wisconsin breast-cancer table (569 rows, 30 numeric
  columns, label column `diagnosis`: malignant or benign);
- `DIR/digit_images/{train,test}/<digit>/*.png`: the digits as 8x8 grey PNGs (train: the built-in
  train and validation images; test: its test images);
- `DIR/GunPoint_TRAIN.ts`, `DIR/GunPoint_TEST.ts`: the UCR GunPoint problem as aeon ships it.

The README's "Your own data" commands and their tests run on these files.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import numpy as np


def digits_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The built-in digits splits as (float32 images [N, 8, 8, 1], int labels) read from the loader."""
    from data import config, digits

    loaded = digits.load(config.complete({"name": "digits"}))
    return {name: (split.inputs, split.labels) for name, split in loaded.splits.items()}


def write_npz(path: Path) -> Path:
    splits = digits_splits()
    np.savez(path, x_train=splits["train"][0], y_train=splits["train"][1], x_val=splits["validation"][0],
             y_val=splits["validation"][1], x_test=splits["test"][0], y_test=splits["test"][1])
    return path


def write_csv(path: Path) -> Path:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*bunch.feature_names, "diagnosis"])
        for row, label in zip(bunch.data, bunch.target):
            writer.writerow([*(f"{value:.6g}" for value in row), bunch.target_names[label]])
    return path


def write_image_folder(root: Path, per_class: int | None = None) -> Path:
    """Digits as PNGs, `per_class` of each class per split at most (all when None)."""
    from PIL import Image

    splits = digits_splits()
    images = {"train": np.concatenate([splits["train"][0], splits["validation"][0]]),
              "test": splits["test"][0]}
    labels = {"train": np.concatenate([splits["train"][1], splits["validation"][1]]), "test": splits["test"][1]}
    for split in ("train", "test"):
        for k in range(10):
            folder = root / split / str(k)
            folder.mkdir(parents=True, exist_ok=True)
            for i in np.flatnonzero(labels[split] == k)[:per_class]:
                pixels = np.round(images[split][i, ..., 0] * 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i:04d}.png")
    return root


def write_ts(prefix: Path) -> Path:
    from data import uea

    problem = uea.problem("GunPoint")
    for source, split in ((problem.train, "TRAIN"), (problem.test, "TEST")):
        shutil.copyfile(source, f"{prefix}_{split}.ts")
    return prefix


def write_all(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_npz(directory / "digits.npz")
    write_csv(directory / "breast_cancer.csv")
    write_image_folder(directory / "digit_images")
    write_ts(directory / "GunPoint")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m data.examples DIR")
    write_all(Path(sys.argv[1]))
    print(f"wrote digits.npz, breast_cancer.csv, digit_images/, GunPoint_TRAIN.ts, GunPoint_TEST.ts in {sys.argv[1]}")
