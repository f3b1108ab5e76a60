"""Data sets selected by name from a config, returned as in-memory splits.

Every loader returns a `Dataset` of numpy arrays; the train loop decides where they live
(device-resident for small sets). Errors about data name the data set and the fix, and are
raised before any training starts.
"""

from __future__ import annotations

from typing import Callable

import ml_collections

from data.dataset import DataError, Dataset, Split
from data import digits, uea, uea_features

LOADERS: dict[str, Callable[[ml_collections.ConfigDict], Dataset]] = {
    "digits": digits.load,
    "uea/SelfRegulationSCP1": uea.loader("SelfRegulationSCP1"),
    "uea/SelfRegulationSCP2": uea.loader("SelfRegulationSCP2"),
    "uea/FingerMovements": uea.loader("FingerMovements"),
    "uea/EyesOpenShut": uea.loader("EyesOpenShut"),
    "uea/Blink": uea.loader("Blink"),
    "uea/JapaneseVowels": uea.loader("JapaneseVowels"),
    "uea_features/SelfRegulationSCP1": uea_features.loader("SelfRegulationSCP1"),
    "uea_features/SelfRegulationSCP2": uea_features.loader("SelfRegulationSCP2"),
    "uea_features/FingerMovements": uea_features.loader("FingerMovements"),
    "uea_features/EyesOpenShut": uea_features.loader("EyesOpenShut"),
    "uea_features/Blink": uea_features.loader("Blink"),
}

__all__ = ["DataError", "Dataset", "Split", "LOADERS", "load"]


def load(data_config: ml_collections.ConfigDict) -> Dataset:
    """Loads the data set named by `data_config.name` and checks it."""
    name = data_config.name
    if name not in LOADERS:
        raise DataError(f"unknown data set {name!r}; valid data sets: {', '.join(sorted(LOADERS))}")
    dataset = LOADERS[name](data_config)
    dataset.validate()
    return dataset
