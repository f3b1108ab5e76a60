"""`sunspots`: yearly mean sunspot numbers 1700-2008, for one-step-ahead forecasting.

The series ships with statsmodels (`statsmodels/datasets/sunspots/sunspots.csv`, read as a file).
An example is a window of the `data.window` previous years; its target is the next year. Splits
are chronological by target year: test 1969-2008, validation 1929-1968, train the years before.
Values are standardised with the mean and standard deviation of the training years only, so no
statistic of the future leaks into the past; `target_scale` (the training std) turns errors back
into sunspot numbers. Windows of later splits may reach back into earlier years: those are
observations available at forecast time.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split

NAME = "sunspots"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "statsmodels: statsmodels/datasets/sunspots/sunspots.csv (pip install statsmodels)"
VALIDATION_FROM, TEST_FROM = 1929, 1969
_INSTALL = "pip install statsmodels"


def csv_path() -> Path:
    spec = importlib.util.find_spec("statsmodels")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"data set {NAME!r} needs the series shipped in statsmodels: {_INSTALL}")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "sunspots" / "sunspots.csv"
    if not path.exists():
        raise DataError(f"data set {NAME!r}: {path} is missing; reinstall with {_INSTALL}")
    return path


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [csv_path()]


def read_series() -> tuple[np.ndarray, np.ndarray]:
    """(years int, sunspot numbers float64), in time order."""
    with csv_path().open() as handle:
        rows = list(csv.DictReader(handle))
    years = np.asarray([int(float(r["YEAR"])) for r in rows])
    values = np.asarray([float(r["SUNACTIVITY"]) for r in rows])
    if np.any(np.diff(years) != 1):
        raise DataError(f"data set {NAME!r}: years in {csv_path()} are not consecutive")
    return years, values


def windows(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """inputs[i] = values[i : i + window], targets[i] = values[i + window]."""
    count = len(values) - window
    inputs = np.stack([values[i: i + window] for i in range(count)])
    return inputs, values[window:]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Inputs [N, window, 1] and targets [N, 1], standardised with training-period statistics."""
    window = config.window
    years, values = read_series()
    if not 1 <= window < int(np.sum(years < VALIDATION_FROM)) - 1:
        raise DataError(f"data set {NAME!r}: data.window must be between 1 and the training years, got {window}")
    train_years = years < VALIDATION_FROM
    mean, std = values[train_years].mean(), values[train_years].std()
    scaled = ((values - mean) / std).astype(np.float32)
    inputs, targets = windows(scaled, window)
    target_years = years[window:]
    masks = {"train": target_years < VALIDATION_FROM,
             "validation": (target_years >= VALIDATION_FROM) & (target_years < TEST_FROM),
             "test": target_years >= TEST_FROM}
    splits = {name: Split(inputs[m][..., None], targets[m][:, None]) for name, m in masks.items()}
    return Dataset(name=NAME, splits=splits, num_classes=1, task="regression", target_scale=float(std))


def baselines(dataset: Dataset, split: str = "test", order: int | None = None) -> dict[str, float]:
    """RMSE (sunspot numbers) of persistence (next year = this year) and of a least-squares AR model
    on the window (fitted on the training split), the references a learned forecaster must beat."""
    scale = dataset.target_scale
    target = dataset.splits[split].labels[:, 0].astype(np.float64)
    inputs = dataset.splits[split].inputs[..., 0].astype(np.float64)
    train = dataset.splits["train"]
    order = order or inputs.shape[1]
    design = np.c_[train.inputs[:, -order:, 0], np.ones(len(train))]
    coefficients, *_ = np.linalg.lstsq(design, train.labels[:, 0], rcond=None)
    ar = np.c_[inputs[:, -order:], np.ones(len(inputs))] @ coefficients
    return {"persistence_rmse": float(np.sqrt(np.mean((inputs[:, -1] - target) ** 2)) * scale),
            f"ar{order}_rmse": float(np.sqrt(np.mean((ar - target) ** 2)) * scale)}
