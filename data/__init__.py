"""Data sets selected by name from a config, returned as in-memory splits.

Every loader returns a `Dataset` of numpy arrays; the train loop decides where they live
(device-resident for small sets). `data/registry.py` says which loader reads a name (a fixed set, a
`uea/<Problem>`, or a source of your own files: npz, csv, image_folder, ts); other names are looked up
in the TFDS catalog. Errors about data name the data set and the fix, and are raised before any
training starts.
"""

from __future__ import annotations

import ml_collections

from data.dataset import DataError, Dataset, Split
from data import catalog, config, prepared, registry
from data import catalog_text

catalog.TEXT_CONVERTERS.update(catalog_text.CONVERTERS)  # imdb_reviews, tiny_shakespeare

__all__ = ["DataError", "Dataset", "Split", "load"]


def load(data_config: ml_collections.ConfigDict | dict) -> Dataset:
    """The data set named by `data_config.name` (local, else TFDS catalog); keys left out take their defaults.

    Local data sets are read through their prepared TFDS copy in the cache directory (prepared, and
    checked, on first use, and again whenever a file they read changes); catalog data sets from
    `data_dir`, checked here.
    """
    try:
        data_config = config.complete(data_config)
    except KeyError as error:
        raise DataError(error.args[0]) from None
    name = data_config.name
    loader = registry.resolve(name)
    if loader is not None:
        return prepared.load(name, data_config, loader)
    dataset = catalog.load(name, data_config, str(prepared.default_data_dir(data_config)), registry.names())
    dataset.validate()
    return dataset
