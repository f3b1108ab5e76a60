"""`b3db_logbb`: the 1,058 B3DB molecules with a measured logBB (log brain/blood concentration), for regression.

The same file reading, RDKit parsing (every row parses in B3DB 1.1.1; a rejected one would be
counted and reported at preparation), splits and representations as `b3db` (`data/b3db.py`:
`data.split`, `data.features`, `data.randomized_smiles`, ...); the random split is unstratified. The
target is logBB standardised with the training molecules' mean and standard deviation, and
`target_scale` turns the task's RMSE back into logBB units.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ml_collections
import numpy as np

from data import b3db
from data.dataset import DataError, Dataset

NAME = "b3db_logbb"
VERSION = "1"  # bump when the loader's output changes
TABLE = "B3DB_regression.tsv"
SOURCE = "B3DB 1.1.1 (Meng et al. 2021, CC0), PyPI qc-b3db: 1,058 SMILES with measured logBB"
SPLITS = {"train": 846, "validation": 105, "test": 107}   # data.split=scaffold (random: 846 / 106 / 106)


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [b3db.table_path(TABLE, config.get("path", ""))]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """Inputs as for `b3db`; targets [N, 1] float32, logBB z-scored with training statistics."""
    molecules = b3db.read(b3db.table_path(TABLE, config.get("path", "")), "logBB")
    b3db.report_invalid(NAME, molecules)
    try:
        values = molecules.targets.astype(np.float64)
    except ValueError as error:
        raise DataError(f"data set {NAME!r}: a logBB value is not a number ({error})") from error
    splits, vocabulary = b3db.build(config, molecules, values, None, NAME)
    train = splits["train"].labels
    mean, std = float(train.mean()), float(train.std())
    splits = {name: dataclasses.replace(split, labels=((split.labels - mean) / std).astype(np.float32)[:, None])
              for name, split in splits.items()}
    return Dataset(name=NAME, splits=splits, num_classes=1, task="regression", vocabulary=vocabulary,
                   target_scale=std)
