"""Local data sets as TensorFlow Datasets builders: parsed once into array_record files, then reused.

Every local data set (`data/registry.py`: a loader, the files it reads and a version) is wrapped in a
TFDS `GeneratorBasedBuilder` whose features are `tfds.features.Tensor`, written with
`file_format='array_record'`, so no TensorFlow is needed to write or read it. The prepared files live in
the cache directory (`--config.data.data_dir`, else `$LAYERWISE_DATA_DIR`, else
`~/.cache/layerwise/tensorflow_datasets`), one builder config per distinct content: the data config's
keys that change what is read, the loader's version, and a digest of the contents of every file the
loader reads. An edited file, or a loader whose output changed, is therefore prepared again instead of
being served from the old copy. Reading back gives random access (`as_data_source`), which the grain
pipeline streams from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import ml_collections
import numpy as np

from data.config import PIPELINE_KEYS
from data.dataset import DataError, Dataset, Split
from data.source import RecordSource, RecordSplits

SPLIT_FIELDS = tuple(f.name for f in dataclasses.fields(Split))


def default_data_dir(data_config: ml_collections.ConfigDict | None = None) -> Path:
    configured = data_config.get("data_dir", "") if data_config is not None else ""
    return Path(configured or os.environ.get("LAYERWISE_DATA_DIR", "")
                or Path.home() / ".cache" / "layerwise" / "tensorflow_datasets").expanduser()


def builder_name(dataset_name: str) -> str:
    """TFDS names are snake_case identifiers: 'uea/FingerMovements' -> 'layerwise_uea_fingermovements'."""
    return "layerwise_" + re.sub(r"[^a-z0-9]+", "_", dataset_name.lower()).strip("_")


def fingerprint(paths: Sequence[Path], dataset_name: str) -> str:
    """A digest of the files' contents and of their paths relative to each other (an image moved to
    another class folder changes it); a file that cannot be read is a DataError naming it."""
    paths = [Path(p) for p in paths]
    root = Path(os.path.commonpath([p.absolute() for p in paths])) if paths else Path()
    digest = hashlib.sha256()
    for path in paths:
        label = path.absolute().relative_to(root) if len(paths) > 1 else Path(path.name)
        digest.update(f"{label}\0".encode())
        try:
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        except OSError as error:
            raise DataError(f"data set {dataset_name!r}: cannot read {path} ({error.strerror or error})") from error
    return digest.hexdigest()


def content_key(data_config: ml_collections.ConfigDict, loader: Any) -> str:
    """The builder config name: the split seed, plus a digest of every other key that changes the content,
    the loader's version and the contents of the files it reads (`loader.files(data_config)`)."""
    content = {k: v for k, v in data_config.to_dict().items() if k not in PIPELINE_KEYS}
    seed = content.pop("split_seed", 0)
    content["loader_version"] = loader.version
    content["files"] = fingerprint(loader.files(data_config), data_config.name)
    digest = hashlib.sha1(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"split_seed_{seed}_{digest}"


def prepared_path(dataset_name: str, data_config: ml_collections.ConfigDict, key: str, version: str = "1.0.0") -> Path:
    return default_data_dir(data_config) / builder_name(dataset_name) / key / version


def is_prepared(dataset_name: str, data_config: ml_collections.ConfigDict, key: str, version: str = "1.0.0") -> bool:
    return (prepared_path(dataset_name, data_config, key, version) / "dataset_info.json").exists()


def _metadata(dataset: Dataset) -> dict[str, Any]:
    """Everything about a Dataset except its arrays, as JSON (stored in the TFDS dataset info)."""
    fields = {f.name: getattr(dataset, f.name) for f in dataclasses.fields(Dataset) if f.name != "splits"}
    return json.loads(json.dumps(fields, default=lambda x: x.tolist() if isinstance(x, np.ndarray) else list(x)))


def _features(dataset: Dataset) -> dict[str, Any]:
    import tensorflow_datasets as tfds

    train = dataset.splits["train"]
    features = {}
    for field in SPLIT_FIELDS:
        array = getattr(train, field)
        if array is not None:
            features[field] = tfds.features.Tensor(shape=array.shape[1:], dtype=array.dtype)
    return features


def _make_builder(dataset_name: str, data_config: ml_collections.ConfigDict, data_dir: Path,
                  load: Callable[[ml_collections.ConfigDict], Dataset], key: str, version: str) -> Any:
    import tensorflow_datasets as tfds

    loaded: dict[str, Dataset] = {}

    def dataset() -> Dataset:
        if "value" not in loaded:
            loaded["value"] = load(data_config)
            loaded["value"].validate()
        return loaded["value"]

    class LocalBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        VERSION = tfds.core.Version(version)
        BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=key,
                                                   description=json.dumps(data_config.to_dict(), default=str))]

        def _info(self) -> Any:
            if self.is_prepared_on_disk:
                features = None  # restored from the prepared files' own dataset_info.json
            else:
                features = tfds.features.FeaturesDict(_features(dataset()))
            return tfds.core.DatasetInfo(
                builder=self, features=features, description=f"layerwise local data set {dataset_name!r}",
                disable_shuffling=True,  # record i is example i of the loader: same order as the loader
                metadata=tfds.core.MetadataDict(dataset=_metadata(dataset())) if features else None)

        def _split_generators(self, dl_manager: Any) -> dict[str, Iterator]:
            return {name: self._generate_examples(split) for name, split in dataset().splits.items()}

        def _generate_examples(self, split: Split) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
            arrays = {f: getattr(split, f) for f in SPLIT_FIELDS if getattr(split, f) is not None}
            for i in range(len(split)):
                yield i, {f: a[i] for f, a in arrays.items()}

    LocalBuilder.name = builder_name(dataset_name)
    LocalBuilder.is_prepared_on_disk = is_prepared(dataset_name, data_config, key, version)
    return LocalBuilder(data_dir=str(data_dir), file_format="array_record")


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Serialises preparation between processes (two runs of a sweep, tests) on one cache directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def builder(dataset_name: str, data_config: ml_collections.ConfigDict, loader: Any, version: str = "1.0.0",
            prepare: bool = True, key: str | None = None) -> Any:
    """The TFDS builder of a local data set (`loader`: a `registry.Loader`), prepared into the cache on first
    use when `prepare`. `key` (`content_key`), when the caller has it, saves reading the files again."""
    data_dir = default_data_dir(data_config)
    key = key or content_key(data_config, loader)

    def make() -> Any:
        return _make_builder(dataset_name, data_config, data_dir, loader.load, key, version)

    built = make()
    if prepare and not built.is_prepared_on_disk:
        try:
            with _lock(data_dir / f".{builder_name(dataset_name)}.lock"):
                built = make()
                if not built.is_prepared_on_disk:
                    import tensorflow_datasets as tfds

                    print(f"preparing data set {dataset_name!r} into {data_dir} (once)", flush=True)
                    tfds.disable_progress_bar()
                    built.download_and_prepare()
                    built = make()
        except OSError as error:
            raise DataError(f"data set {dataset_name!r}: cannot write the prepared copy under {data_dir} "
                            f"({error}); set --config.data.data_dir or $LAYERWISE_DATA_DIR to a writable "
                            "directory") from error
    return built


def metadata(built: Any) -> dict[str, Any]:
    return dict(built.info.metadata["dataset"])


def fields(built: Any) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each field's per-example shape and the dtype it was written with (reading widens some integers;
    the sources narrow them back)."""
    return {name: (tuple(feature.shape), np.dtype(feature.np_dtype)) for name, feature in built.info.features.items()}


def sources(built: Any) -> dict[str, RecordSource]:
    """Random-access readers per split (`len`, `gather`), for grain and for reading splits whole."""
    return {name: RecordSource(built.as_data_source(split=name), fields(built)) for name in built.info.splits.keys()}


def load(dataset_name: str, data_config: ml_collections.ConfigDict, loader: Any, version: str = "1.0.0") -> Dataset:
    """The data set backed by its prepared TFDS copy (preparing it first if needed).

    Splits are read from disk when first asked for, so a run that streams the training split never
    holds it whole; the first and last record of every split are read now, so a damaged copy is
    reported before training. The loader's output was checked before it was written.
    """
    built = builder(dataset_name, data_config, loader, version)

    def unreadable(error: Exception) -> DataError:
        return DataError(f"data set {dataset_name!r}: the prepared copy under {built.data_dir} is unreadable "
                         f"({type(error).__name__}: {error}); delete that directory to prepare it again")

    try:
        split_sources = sources(built)
        for source in split_sources.values():
            source.gather(np.array([0, len(source) - 1]))
    except Exception as error:  # array_record raises several types on damaged files
        raise unreadable(error) from error
    array_dir = Path(built.data_dir) / "arrays"  # removed with the prepared copy
    return Dataset(splits=RecordSplits(split_sources, Split, unreadable, array_dir), **metadata(built))
