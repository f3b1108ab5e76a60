"""Time series in the UEA/UCR `.ts` format: `--config.data.name=ts --config.data.path=PREFIX`.

Reads `PREFIX_TRAIN.ts` and, when it exists, `PREFIX_TEST.ts` (else test is carved from train,
stratified, `data.test_fraction`); `data.path` may also name the `_TRAIN.ts` file itself. The same
reader serves `uea/<Problem>` (data/uea.py), as aeon's `load_from_ts_file` does.

The format: a header of `@tag value` lines (`@problemName`, `@classLabel true a b c`, `@equalLength`,
`@targetLabel true` for regression, ...; `#` or `%` comments), then `@data` and one case per line: channels
separated by ':', values within a channel by ',', the label last. Cases may differ in length; they are
zero-padded at the end to the longest case of either file and `Split.lengths` holds each true length.
Inputs come out float32 [N, time, channels]; class labels become 0..K-1 in sorted order of their names
(kept in `class_names`). Validation is carved from train: `data.validation_fraction` (default 0.2) of
every class, seeded by `data.split_seed`. With `data.standardize=True` every channel is z-scored with
the training split's mean and deviation (over cases and time, padding excluded).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import carve
from data.user_files import path_of, scale_targets, sorted_names

NAME = "ts"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "your .ts files: --config.data.path=PREFIX reads PREFIX_TRAIN.ts [and PREFIX_TEST.ts]"
VALIDATION_FRACTION = 0.2  # of every class of the training file, unless data.validation_fraction says otherwise
_BOOLEAN_TAGS = ("@timestamps", "@missing", "@univariate", "@equallength", "@targetlabel")


@dataclasses.dataclass(frozen=True)
class Header:
    class_labels: list[str]      # from @classLabel true ... (empty for regression)
    regression: bool             # @targetLabel true: the last value of a case is a float target


@dataclasses.dataclass(frozen=True)
class TsFile:
    """The parsed content of one `.ts` file, cases in file order, before padding."""

    series: list[np.ndarray]     # one float64 [time, channels] array per case
    labels: list[str]
    class_labels: list[str]      # from the @classLabel header (may be empty)
    regression: bool = False


def _lines(text_lines: Iterator[str]) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of every line that is neither blank nor a comment ('#', or '%' as in ARFF)."""
    for number, raw in enumerate(text_lines, 1):
        line = raw.strip()
        if line and not line.startswith(("#", "%")):
            yield number, line


def parse_header(lines: Iterator[tuple[int, str]], where: str) -> Header:
    """Reads header lines up to and including `@data`; a malformed one raises DataError naming its line."""
    flags, class_labels, labelled = {}, [], None
    for number, line in lines:
        bad = f"{where}, line {number}"
        if not line.startswith("@"):
            raise DataError(f"{bad}: {line[:40]!r} is not a header line; the header is '@tag value' lines "
                            "(@problemName, @classLabel, ...) ending with '@data' (a malformed header)")
        tag, *values = line.split()
        lowered = [v.lower() for v in values]
        if tag.lower() == "@data":
            if values:
                raise DataError(f"{bad}: '@data' takes no value (a malformed header)")
            if flags.get("@timestamps"):
                raise DataError(f"{bad}: files with @timestamps true are not read; write values without timestamps")
            if not flags.get("@targetlabel") and not labelled:
                raise DataError(f"{bad}: the header declares no labels; give '@classLabel true <class names>' "
                                "(or '@targetLabel true' for regression)")
            return Header(class_labels, bool(flags.get("@targetlabel")))
        if tag.lower() == "@classlabel":
            if not lowered or lowered[0] not in ("true", "false") or (lowered[0] == "true" and len(values) < 2):
                raise DataError(f"{bad}: @classLabel takes 'true' and the class names, or 'false' "
                                "(a malformed header)")
            labelled, class_labels = lowered[0] == "true", values[1:]
        elif tag.lower() in _BOOLEAN_TAGS:
            if len(lowered) != 1 or lowered[0] not in ("true", "false"):
                raise DataError(f"{bad}: {tag} takes true or false, got {' '.join(values)[:40]!r} (a malformed header)")
            flags[tag.lower()] = lowered[0] == "true"
    raise DataError(f"{where}: no '@data' line; the header never ends (a malformed header or not a .ts file)")


def read_header(path: Path, where: str) -> Header:
    """The header alone, read line by line up to `@data` (cases are not read)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_header(_lines(handle), where)


def _case(line: str, header: Header, num_channels: int | None, bad: str) -> tuple[np.ndarray, str]:
    parts = line.split(":")
    label, channels = parts[-1].strip(), parts[:-1]
    if not channels:
        raise DataError(f"{bad}: a case needs channels and a label separated by ':' (file corrupt or truncated)")
    if num_channels is not None and len(channels) != num_channels:
        raise DataError(f"{bad}: {len(channels)} channels, earlier cases have {num_channels} "
                        "(file corrupt or truncated)")
    if header.class_labels and label not in header.class_labels:
        raise DataError(f"{bad}: label {label[:40]!r} is not one of {header.class_labels} (file corrupt or truncated)")
    if header.regression:
        try:
            float(label)
        except ValueError:
            raise DataError(f"{bad}: target {label[:40]!r} is not a number (@targetLabel true)") from None
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
    return case, label


def parse_ts(text: str, where: str) -> TsFile:
    """Parses `.ts` text; a malformed header or a case that does not parse raises DataError naming `where` and the line."""
    lines = _lines(iter(text.splitlines()))
    header = parse_header(lines, where)
    series, labels = [], []
    for number, line in lines:
        case, label = _case(line, header, series[0].shape[1] if series else None, f"{where}, line {number}")
        series.append(case)
        labels.append(label)
    if not series:
        raise DataError(f"{where}: no cases after @data (file empty or truncated)")
    return TsFile(series, labels, header.class_labels, header.regression)


def read(path: Path, where: str, hint: str = "") -> TsFile:
    """One `.ts` file parsed; errors name `where` (the data set and file) and end with `hint`."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise DataError(f"{where}: cannot read {path} ({error.strerror or error}){hint}") from error
    try:
        return parse_ts(text, where)
    except DataError as error:
        raise DataError(f"{error}{hint}") from None


def _pad(series: list[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(series), length, series[0].shape[1]), np.float32)
    for i, case in enumerate(series):
        out[i, : len(case)] = case
    return out


def load_pair(name: str, train_path: Path, test_path: Path | None, config: ml_collections.ConfigDict,
              hint: str = "") -> Dataset:
    """A data set from a training `.ts` file and an optional test file (see the module docstring)."""
    train = read(train_path, f"data set {name!r} ({train_path.name})", hint)
    test = read(test_path, f"data set {name!r} ({test_path.name})", hint) if test_path else None
    cases = train.series + (test.series if test else [])
    if len({case.shape[1] for case in cases}) > 1:
        raise DataError(f"data set {name!r}: the training file's cases have {train.series[0].shape[1]} channels, the "
                        f"test file's {test.series[0].shape[1]}; they must match{hint}")
    if test and test.regression != train.regression:
        raise DataError(f"data set {name!r}: one file has class labels, the other regression targets{hint}")
    longest = max(len(case) for case in cases)
    variable = len({len(case) for case in cases}) > 1
    parsed = {"train": train, "test": test} if test else {"train": train}
    if train.regression:
        names = None
        labels = {k: np.asarray(f.labels, np.float32)[:, None] for k, f in parsed.items()}
    else:  # classes declared in the header count even where no case has them
        names = sorted_names(train.class_labels + [label for f in parsed.values() for label in f.labels])
        index = {label: k for k, label in enumerate(names)}
        labels = {k: np.asarray([index[label] for label in f.labels], np.int32) for k, f in parsed.items()}
    rows = carve(labels["train"].reshape(len(train.labels), -1)[:, 0], config, name, test=test is None,
                 own_validation=VALIDATION_FRACTION)

    def split_of(parsed: TsFile, split_labels: np.ndarray, picked: np.ndarray) -> Split:
        chosen = [parsed.series[i] for i in picked]
        lengths = np.array([len(c) for c in chosen], np.int32) if variable else None
        return Split(_pad(chosen, longest), split_labels[picked], lengths)

    splits = {split: split_of(train, labels["train"], picked) for split, picked in rows.items()}
    if test:
        splits["test"] = split_of(test, labels["test"], np.arange(len(test.series)))
    if config.standardize:
        splits = standardize(splits)
    scale = 1.0
    if train.regression:
        splits, scale = scale_targets(splits)
    return Dataset(name=name, splits=splits, num_classes=1 if train.regression else len(names),
                   task="regression" if train.regression else "classification", class_names=names,
                   target_scale=scale)


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


def pair(config: ml_collections.ConfigDict) -> tuple[Path, Path | None]:
    """`PREFIX_TRAIN.ts` and `PREFIX_TEST.ts` (None where absent) of `data.path` (PREFIX or the _TRAIN.ts file)."""
    if not config.path:
        path_of(NAME, config, "PREFIX (reads PREFIX_TRAIN.ts and PREFIX_TEST.ts)")  # says what to give
    given = str(config.path)
    prefix = given[: -len("_TRAIN.ts")] if given.upper().endswith("_TRAIN.TS") else given
    train, test = Path(prefix + "_TRAIN.ts").expanduser(), Path(prefix + "_TEST.ts").expanduser()
    if not train.is_file():
        raise DataError(f"data set {NAME!r}: {train} does not exist; --config.data.path=PREFIX reads "
                        "PREFIX_TRAIN.ts and PREFIX_TEST.ts")
    return train, test if test.is_file() else None


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [p for p in pair(config) if p is not None]


def load(config: ml_collections.ConfigDict) -> Dataset:
    return load_pair(NAME, *pair(config), config)
