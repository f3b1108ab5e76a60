"""Data sets selected by name from a config, returned as in-memory splits.

Every loader returns a `Dataset` of numpy arrays; the train loop decides where they live
(device-resident for small sets). Errors about data name the data set and the fix, and are
raised before any training starts.
"""

from __future__ import annotations

from typing import Callable

import ml_collections

from data.dataset import DataError, Dataset, Split
from data import catalog, config, digits, fashion_mnist, mnist5k, prepared, uea, uea_features
from data import catalog_text, rotten_tomatoes, shakespeare, sunspots

LOADERS: dict[str, Callable[[ml_collections.ConfigDict], Dataset]] = {
    "digits": digits.load,
    "fashion_mnist": fashion_mnist.load,
    "mnist5k": mnist5k.load,
    "shakespeare_chars": shakespeare.load,
    "rotten_tomatoes": rotten_tomatoes.load,
    "sunspots": sunspots.load,
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

catalog.TEXT_CONVERTERS.update(catalog_text.CONVERTERS)  # imdb_reviews, tiny_shakespeare

__all__ = ["DataError", "Dataset", "Split", "LOADERS", "load"]


def load(data_config: ml_collections.ConfigDict | dict) -> Dataset:
    """The data set named by `data_config.name` (local, else TFDS catalog); keys left out take their defaults.

    Local data sets are read through their prepared TFDS copy in the cache directory (prepared, and
    checked, on first use); catalog data sets from `data_dir`, checked here.
    """
    try:
        data_config = config.complete(data_config)
    except KeyError as error:
        raise DataError(error.args[0]) from None
    name = data_config.name
    if name in LOADERS:
        return prepared.load(name, data_config, LOADERS[name])
    dataset = catalog.load(name, data_config, str(prepared.default_data_dir(data_config)), tuple(sorted(LOADERS)))
    dataset.validate()
    return dataset
