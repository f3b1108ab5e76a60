"""Arrays you already have: `--config.data.name=npz --config.data.path=FILE.npz` (or a directory).

A file holds `x_train, y_train` and optionally `x_test, y_test` and `x_val, y_val` (the
`keras.datasets` file convention, written by `np.savez(FILE, x_train=..., ...)`); a directory holds
`train.npz` and optionally `test.npz` and `validation.npz`, each with `x` and `y`. A missing test split
is carved from train (stratified, `data.test_fraction`), a missing validation split likewise
(`data.validation_fraction`, default 0.1), both seeded by `data.split_seed`.

Inputs: `(N, H, W, C)` images, `(N, T, F)` sequences, `(N, F)` vectors, used as given in float32,
except that uint8 arrays are images scaled to [0, 1] and a uint8 `(N, H, W)` array gets a channel axis.
Labels: integers are classes (0..K-1 as given; other values are mapped to 0..K-1 in sorted order),
strings are class names, floats mean regression (`(N,)` or `(N, outputs)`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import carve
from data.user_files import encode_classes, path_of, scale_targets

NAME = "npz"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "your arrays: --config.data.path=FILE.npz (x_train, y_train[, x_test, y_test, x_val, y_val]) or DIR/{train,test}.npz (x, y)"
VALIDATION_FRACTION = 0.1
_EXPECT = ("FILE.npz with x_train, y_train [x_test, y_test] [x_val, y_val] (the keras.datasets convention), "
           "or a directory of train.npz [test.npz] [validation.npz] each with x, y")
_SUFFIX = {"train": "train", "test": "test", "validation": "val"}  # split -> x_<suffix>, y_<suffix> in one file


def _arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"data set {NAME!r}: cannot read {path} as an .npz archive ({error})") from error


def files(config: ml_collections.ConfigDict) -> list[Path]:
    path = path_of(NAME, config, _EXPECT)
    if path.is_file():
        return [path]
    found = [path / f"{split}.npz" for split in _SUFFIX if (path / f"{split}.npz").is_file()]
    if not found or found[0].name != "train.npz":
        raise DataError(f"data set {NAME!r}: {path} holds no train.npz; give {_EXPECT}")
    return found


def _pair(path: Path, arrays: dict[str, np.ndarray], x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    if x_key not in arrays or y_key not in arrays:
        raise DataError(f"data set {NAME!r}: {path.name} has keys {sorted(arrays)}, missing "
                        f"{sorted({x_key, y_key} - set(arrays))}; expected {_EXPECT}")
    x, y = arrays[x_key], arrays[y_key]
    if len(x) != len(y):
        raise DataError(f"data set {NAME!r}: {path.name}: {x_key} has {len(x)} rows but {y_key} has {len(y)}; "
                        "every example needs one label")
    if x.ndim < 2:
        raise DataError(f"data set {NAME!r}: {path.name}: {x_key} has shape {x.shape}; give one row of "
                        "features per example, (N, F) or more axes")
    return x, y


def read(config: ml_collections.ConfigDict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{split: (x, y)} as stored, for the splits present; missing keys or unequal lengths are DataErrors."""
    path = path_of(NAME, config, _EXPECT)
    if path.is_dir():
        return {p.stem: _pair(p, _arrays(p), "x", "y") for p in files(config)}
    arrays = _arrays(path)
    present = {split: suffix for split, suffix in _SUFFIX.items()
               if split == "train" or f"x_{suffix}" in arrays or f"y_{suffix}" in arrays}
    return {split: _pair(path, arrays, f"x_{suffix}", f"y_{suffix}") for split, suffix in present.items()}


def _inputs(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint8:
        images = x.astype(np.float32) / 255.0
        return images[..., None] if x.ndim == 3 else images
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"data set {NAME!r}: inputs must be numbers, got dtype {x.dtype}")
    return x.astype(np.float32)


def _labels(arrays: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, np.ndarray], tuple[str, ...] | None, str]:
    """(labels per split, class names, task) from the y arrays' dtype."""
    ys = {split: y for split, (_, y) in arrays.items()}
    if all(np.issubdtype(y.dtype, np.floating) for y in ys.values()):
        return {s: y.reshape(len(y), -1).astype(np.float32) for s, y in ys.items()}, None, "regression"
    flat = {s: y.reshape(len(y)) if y.ndim == 1 or y.shape[1:] == (1,) else None for s, y in ys.items()}
    if any(y is None for y in flat.values()):
        raise DataError(f"data set {NAME!r}: class labels must be one per example, shape (N,); got "
                        f"{ {s: y.shape for s, y in ys.items()} }")
    if all(np.issubdtype(y.dtype, np.integer) or y.dtype == bool for y in flat.values()):
        low, high = min(int(y.min()) for y in flat.values()), max(int(y.max()) for y in flat.values())
        if low >= 0:  # already class indices: keep them, as Keras does
            return {s: y.astype(np.int32) for s, y in flat.items()}, tuple(map(str, range(high + 1))), "classification"
    return (*encode_classes(flat), "classification")


def load(config: ml_collections.ConfigDict) -> Dataset:
    arrays = read(config)
    labels, names, task = _labels(arrays)
    x_train = arrays["train"][0]
    rows = carve(labels["train"] if task == "classification" else labels["train"][:, 0], config, NAME,
                 test="test" not in arrays, own_validation=VALIDATION_FRACTION, validation="validation" not in arrays)
    splits = {split: Split(_inputs(x_train[picked]), labels["train"][picked]) for split, picked in rows.items()}
    splits.update({split: Split(_inputs(x), labels[split]) for split, (x, _) in arrays.items() if split != "train"})
    splits = {split: splits[split] for split in ("train", "validation", "test") if split in splits}
    scale = 1.0
    if task == "regression":
        splits, scale = scale_targets(splits)
    return Dataset(name=NAME, splits=splits, num_classes=labels["train"].shape[1] if task == "regression" else len(names),
                   task=task, class_names=names, target_scale=scale)
