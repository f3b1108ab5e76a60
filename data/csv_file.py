"""A table of your own: `--config.data.name=csv --config.data.path=train.csv [--config.data.test_path=test.csv]`.

The first row names the columns; the label is `data.label_column` (default: the last column). A column
is numeric when most of its values in the training file are numbers; then every value must be one (a
stray word or an empty cell is an error naming the line), and it is standardised with the training
split's mean and deviation. Other columns are categories, one-hot encoded over the values seen in the
training split (a value seen only later encodes as all zeros). Labels that are all integers or all
words are classes, named and kept (`class_names`); labels with fractions mean regression. Without a
test file the test split is carved from the training file (stratified, `data.test_fraction`), and
validation always is (`data.validation_fraction`, default 0.1), both seeded by `data.split_seed`.
Inputs come out float32 [N, features].
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import carve
from data.user_files import path_of, scale_targets, sorted_names

NAME = "csv"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "your table: --config.data.path=train.csv [--config.data.test_path=test.csv] [--config.data.label_column=NAME]"
VALIDATION_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class Table:
    """One CSV file: its header and its rows as strings, with the file line each row ended on."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def read_table(path: Path) -> Table:
    """The file's rows; a row whose field count differs from the header's is a DataError naming its line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            rows, lines = [], []
            for row in reader:
                if not any(field.strip() for field in row):
                    continue
                if len(row) != len(header):
                    raise DataError(f"data set {NAME!r}: {path}, line {reader.line_num}: {len(row)} fields, the "
                                    f"header has {len(header)}")
                rows.append([field.strip() for field in row])
                lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"data set {NAME!r}: cannot read {path} as CSV ({error})") from error
    if len(header) < 2 or not rows:
        raise DataError(f"data set {NAME!r}: {path} needs a header row naming at least two columns (features and "
                        "a label) and rows below it")
    return Table(path, header, rows, lines)


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def _numbers(table: Table, name: str, picked: np.ndarray | None = None) -> np.ndarray:
    """A numeric column as float64; the first value that is not a finite number is a DataError naming its line."""
    values = table.column(name)
    rows = range(len(values)) if picked is None else picked
    out = np.empty(len(rows), np.float64)
    for i, row in enumerate(rows):
        try:
            out[i] = float(values[row])
        except ValueError:
            out[i] = np.nan
        if not np.isfinite(out[i]):
            shown = repr(values[row]) if values[row] else "an empty cell"
            raise DataError(f"data set {NAME!r}: {table.path}, line {table.lines[row]}, column {name!r}: {shown} is "
                            "not a number, yet the column is numeric; correct the value or remove the row")
    return out


def _labels(train: Table, test: Table | None, column: str) -> tuple[dict[str, np.ndarray], tuple[str, ...] | None]:
    """Labels of both files: int32 classes and their names, or float32 [N, 1] regression targets and None."""
    tables = {"train": train, "test": test} if test else {"train": train}
    values = {k: t.column(column) for k, t in tables.items()}
    for key, table in tables.items():
        if "" in values[key]:
            line = table.lines[values[key].index("")]
            raise DataError(f"data set {NAME!r}: {table.path}, line {line}: the label column {column!r} is empty")
    every = [v for vs in values.values() for v in vs]
    if all(_is_number(v) for v in every) and not all(float(v).is_integer() for v in every):
        return {k: _numbers(t, column).astype(np.float32)[:, None] for k, t in tables.items()}, None
    names = sorted_names(every)
    index = {name: k for k, name in enumerate(names)}
    return {k: np.asarray([index[v] for v in vs], np.int32) for k, vs in values.items()}, names


def _encoder(train: Table, rows: np.ndarray, features: list[str]):
    """Fitted on the training rows only: per column, a function from (table, rows) to float32 [N, width]."""
    encoders = []
    for name in features:
        column = train.column(name)
        values = [column[i] for i in rows]
        filled = [v for v in values if v]
        if filled and sum(map(_is_number, filled)) * 2 > len(filled):  # numeric: standardise
            numbers = _numbers(train, name, rows)
            mean, std = numbers.mean(), numbers.std() or 1.0
            encoders.append(lambda t, r, name=name, mean=mean, std=std: ((_numbers(t, name, r) - mean) / std)[:, None])
        else:  # categories: one-hot over the values seen in training
            index = {value: k for k, value in enumerate(sorted(set(values)))}

            def one_hot(t: Table, r: np.ndarray, name: str = name, index: dict = index) -> np.ndarray:
                column, out = t.column(name), np.zeros((len(r), len(index)))
                for i, row in enumerate(r):
                    if (k := index.get(column[row])) is not None:
                        out[i, k] = 1.0
                return out
            encoders.append(one_hot)
    return lambda t, r: np.concatenate([e(t, r) for e in encoders], axis=1).astype(np.float32)


def files(config: ml_collections.ConfigDict) -> list[Path]:
    paths = [path_of(NAME, config, "FILE.csv")]
    if config.test_path:
        paths.append(path_of(NAME, config, "FILE.csv", key="test_path"))
    return paths


def load(config: ml_collections.ConfigDict) -> Dataset:
    paths = files(config)
    train = read_table(paths[0])
    test = read_table(paths[1]) if len(paths) > 1 else None
    column = config.label_column or train.header[-1]
    for table in (train, test) if test else (train,):
        if column not in table.header:
            raise DataError(f"data set {NAME!r}: label column {column!r} is not in {table.path}; its columns: "
                            f"{', '.join(table.header)}")
    features = [name for name in train.header if name != column]
    if test and sorted(test.header) != sorted(train.header):
        raise DataError(f"data set {NAME!r}: {test.path} has columns {test.header}, {train.path} {train.header}; "
                        "they must match")
    labels, names = _labels(train, test, column)
    regression = names is None
    rows = carve(labels["train"][:, 0] if regression else labels["train"], config, NAME, test=test is None,
                 own_validation=VALIDATION_FRACTION)
    encode = _encoder(train, rows["train"], features)
    splits = {split: Split(encode(train, picked), labels["train"][picked]) for split, picked in rows.items()}
    if test:
        splits["test"] = Split(encode(test, np.arange(len(test.rows))), labels["test"])
    scale = 1.0
    if regression:
        splits, scale = scale_targets(splits)
    return Dataset(name=NAME, splits=splits, num_classes=1 if regression else len(names),
                   task="regression" if regression else "classification", class_names=names, target_scale=scale)
