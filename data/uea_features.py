"""UEA EEG sets turned into hand-crafted feature vectors, so a linear classifier trains in the normal loop.

`uea_features/<Set>` (any `uea/<Set>` whose package records a sampling rate) loads `uea/<Set>` (official split, validation carved from train) and runs
`eeg_features.pipeline` on it: zero-phase filter to [`data.band_low_hz`, `data.band_high_hz`] Hz, per-channel
normalisation, `data.epochs_per_trial` epochs per trial, time and Welch band-power features, each feature
standardised with training statistics. Inputs come out float32 shaped [N, features].
"""

from __future__ import annotations

import dataclasses
import functools

import ml_collections

from data import config as data_config
from data import eeg_features, uea
from data.dataset import DataError, Dataset

VERSION = "1"  # bump when the features change


def load_features(problem: str, config: ml_collections.ConfigDict) -> Dataset:
    raw = uea.load_problem(problem, data_config.complete(
        {"split_seed": config.split_seed, "validation_fraction": config.validation_fraction}))
    fs = uea.sampling_rate(problem)
    low, high = config.band_low_hz, config.band_high_hz or fs / 2
    windows = config.epochs_per_trial
    name = f"uea_features/{problem}"
    time = raw.input_shape[0]
    if not 1 <= windows <= time // 8:
        raise DataError(f"data set {name!r}: epochs_per_trial must lie in [1, {time // 8}] for trials of {time} samples, "
                        f"got {windows}")
    if low < 0 or (0 < high <= low):
        raise DataError(f"data set {name!r}: need 0 <= band_low_hz < band_high_hz, got {low} and {high}")
    others = {k: s.inputs for k, s in raw.splits.items() if k != "train"}
    train, rest = eeg_features.pipeline(raw.splits["train"].inputs, others, fs, low, high, windows)
    splits = {"train": dataclasses.replace(raw.splits["train"], inputs=train)}
    splits.update({k: dataclasses.replace(s, inputs=rest[k]) for k, s in raw.splits.items() if k != "train"})
    return Dataset(name=name, splits=splits, num_classes=raw.num_classes, class_names=raw.class_names)


def eeg_problems() -> list[str]:
    """The installed UEA problems with a recorded sampling rate: the ones band-power features apply to."""
    return sorted(name for name, found in uea.problems().items() if found.sampling_rate)


def loader(problem: str):
    """`load(data_config) -> Dataset` of feature vectors for one UEA EEG set."""
    if problem in uea.problems() and uea.sampling_rate(problem) is None:
        raise DataError(f"data set 'uea_features/{problem}': features need a sampling rate, and the package "
                        f"records none for {problem}; EEG sets with one: {', '.join(eeg_problems())}")
    uea.problem(problem, "uea_features")  # unknown: the list of installed problems
    return functools.partial(load_features, problem)
