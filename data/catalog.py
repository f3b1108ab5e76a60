"""Data sets from the TensorFlow Datasets catalog (mnist, cifar10, imdb_reviews, tiny_shakespeare, ...).

They are read from a prepared `data_dir` (array_record files are read without TensorFlow; tfrecord files
need it). Where a data set is neither prepared nor downloadable, the run stops with one line saying how
to get it. Each catalog data set is turned into the same numpy `Dataset` the local loaders return, by a
converter chosen from its features, so the same experiment code runs on both.
"""

from __future__ import annotations

import importlib.util
import socket
from typing import Any, Callable

import ml_collections
import numpy as np

from data import config as data_config
from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split

VALIDATION_FRACTION = 0.1
_SPLIT_CANDIDATES = ("train", "validation", "test")

# Converters from a catalog data set's records to a Dataset, by feature signature; text sets are
# registered by the sequence loaders (they share the local data sets' tokenizers).
Converter = Callable[[str, dict[str, list[dict[str, Any]]], Any, ml_collections.ConfigDict], Dataset]
TEXT_CONVERTERS: dict[str, Converter] = {}


def how_to_get(name: str, data_dir: str) -> str:
    return (f"on a machine with internet run `python -m data --prepare={name} --data_dir={data_dir}` (it needs "
            f"`pip install tensorflow`) and copy that directory here, or point --config.data.data_dir at a "
            "prepared tensorflow_datasets directory")


def preparation_blocker(host: str = "storage.googleapis.com") -> str | None:
    """Why a catalog data set cannot be prepared here, found in seconds; None if it may work.

    Without this check tfds retries an unreachable download server for minutes before failing.
    """
    if importlib.util.find_spec("tensorflow") is None:
        return "preparing catalog data sets needs TensorFlow, which is not installed"
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError as error:
        return f"the download server {host} is unreachable ({error})"
    return None


def builder(name: str, data_dir: str, local_names: tuple[str, ...] = ()) -> Any:
    """The catalog builder, prepared (downloading if the network allows) or a DataError saying how to get it."""
    import tensorflow_datasets as tfds

    try:
        built = tfds.builder(name, data_dir=data_dir, file_format="array_record")
    except tfds.core.registered.DatasetNotFoundError as error:
        raise DataError(f"unknown data set {name!r}: neither in the TensorFlow Datasets catalog nor local; "
                        f"valid data sets: {', '.join(local_names)} (python -m data --list) or a catalog "
                        "name such as mnist, cifar10, imdb_reviews") from error
    if not built.is_prepared():
        blocker = preparation_blocker()
        if blocker:
            raise DataError(f"catalog data set {name!r} is not prepared in {data_dir} and cannot be prepared here: "
                            f"{blocker}; {how_to_get(name, data_dir)}")
        try:
            built.download_and_prepare()
        except Exception as error:  # network, missing TensorFlow, disk: all mean "not available here"
            reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            raise DataError(f"catalog data set {name!r} is not prepared in {data_dir} and could not be "
                            f"downloaded ({type(error).__name__}: {reason}); {how_to_get(name, data_dir)}") from error
    return built


def _split_names(built: Any) -> list[str]:
    known = list(built.info.splits.keys()) if built.info.splits else []
    return [s for s in _SPLIT_CANDIDATES if s in known] if known else ["train", "test"]


def read_records(built: Any, split: str, name: str) -> list[dict[str, Any]]:
    """Every record of a split as numpy values; array_record needs no TensorFlow, tfrecord does."""
    try:
        source = built.as_data_source(split=split)
        return [source[i] for i in range(len(source))]
    except (NotImplementedError, ValueError, FileNotFoundError) as error:
        try:
            import tensorflow_datasets as tfds

            return list(tfds.as_numpy(built.as_dataset(split=split)))
        except ModuleNotFoundError as missing:
            raise DataError(f"catalog data set {name!r} is stored as tfrecord in {built.data_dir}, which needs "
                            f"TensorFlow to read: pip install tensorflow ({error})") from missing


def image_converter(name: str, records: dict[str, list[dict[str, Any]]], built: Any,
                    config: ml_collections.ConfigDict) -> Dataset:
    """{'image': uint8 HWC, 'label'} -> float32 NHWC in [0, 1]; validation carved from train if absent."""
    def split(rows: list[dict[str, Any]]) -> Split:
        images = np.stack([np.asarray(r["image"]) for r in rows]).astype(np.float32) / 255.0
        return Split(images, np.asarray([r["label"] for r in rows], np.int32))

    splits = {key: split(rows) for key, rows in records.items()}
    if "validation" not in splits:
        train = splits["train"]
        kept, held = stratified_split(train.labels, data_config.validation_fraction(config, VALIDATION_FRACTION), config.split_seed)
        splits["train"] = Split(train.inputs[kept], train.labels[kept])
        splits["validation"] = Split(train.inputs[held], train.labels[held])
    label = built.info.features["label"]
    return Dataset(name=name, splits=splits, num_classes=label.num_classes, class_names=tuple(label.names),
                   eval_split="test" if "test" in splits else "validation")


def load(name: str, config: ml_collections.ConfigDict, data_dir: str, local_names: tuple[str, ...] = ()) -> Dataset:
    """A catalog data set as numpy splits."""
    built = builder(name, data_dir, local_names)
    features = set(built.info.features.keys())
    if {"image", "label"} <= features:
        converter = image_converter
    elif name in TEXT_CONVERTERS:
        converter = TEXT_CONVERTERS[name]
    else:
        raise DataError(f"catalog data set {name!r} has features {sorted(features)}, which no layerwise "
                        f"converter takes (images with labels: any; text: {', '.join(sorted(TEXT_CONVERTERS))})")
    records = {split: read_records(built, split, name) for split in _split_names(built)}
    return converter(name, records, built, config)
