"""The `data` group of a config: every key a data set or an input path reads, with its default.

`experiments/base.py` takes this group whole, so an experiment (or `--config.data.KEY=VALUE`) can set
any of these keys and no other: a misspelt key is an error, not a silently ignored setting. Keys that
only some data sets read say which; a default of 0 or "" means "the data set's own choice".
"""

from __future__ import annotations

import ml_collections

# Keys that change how data is fed, not what it is: they never change a prepared copy.
PIPELINE_KEYS = frozenset({"name", "data_dir", "pipeline", "workers", "resident_max_mb", "prefetch"})


def defaults() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict({
        "name": "digits",               # a local data set (python -m data --list) or a TFDS catalog name
        "split_seed": 0,                # seeds the held-out splits carved from train; not the training seed
        "validation_fraction": -1.0,    # share of train held out for validation where a set carves it; -1 = the set's own
        "path": "",                     # the files a data set is read from: npz file or dir, csv file, image folder,
                                        # .ts prefix (PREFIX_TRAIN.ts); fashion_mnist: its IDX directory (else Debian's);
                                        # b3db, b3db_logbb: a directory with B3DB's TSV files (else qc-b3db's)
        "test_path": "",                # csv: a separate test file; "" = carve the test split from `path`
        "test_fraction": 0.2,           # npz, csv, image_folder, ts: share of every class carved for test where no test split is given
        "label_column": "",             # csv: the label column's name; "" = the last column
        "image_size": (0, 0),           # image_folder: (height, width) every image is resized to; (0, 0) = keep (all equal)
        "channels": 0,                  # image_folder: 1 (grey) or 3 (RGB); 0 = 1 if every image is grey, else 3
        "standardize": False,           # uea/*: z-score every channel with training statistics
        "reference": "none",            # uea/* (EEG): none | average (common average reference)
        "baseline": "none",             # uea/* (EEG): none | trial (each trial's mean removed per electrode)
        "align": "none",                # uea/* (EEG): none | euclidean (trials whitened by the training trials'
                                        # mean covariance, He and Wu 2019); all three: data/eeg_preprocess.py
        "vocab_size": 20000,            # text classification: largest vocabulary, fitted on train
        "min_count": 1,                 # text classification: rarer tokens become <unk>
        "max_tokens": 0,                # text classification: tokens kept per example; 0 = the set's own (64 or 256)
        "seq_len": 128,                 # character language models: characters per training segment
        "window": 20,                   # sunspots: years of history per forecast
        "band_low_hz": 0.0,             # uea_features/*: band-pass low edge (0 = no high-pass)
        "band_high_hz": 0.0,            # uea_features/*: band-pass high edge (0 = Nyquist)
        "epochs_per_trial": 1,          # uea_features/*: epochs each trial is cut into before features
        "split": "scaffold",            # b3db, b3db_logbb: scaffold (whole Bemis-Murcko scaffolds held out) | random
        "features": "graph",            # b3db, b3db_logbb: tokens (SMILES) | graph | morgan (ECFP4) | descriptors
        "randomized_smiles": 0,         # b3db, b3db_logbb with features=tokens: extra random SMILES per training molecule
        "subset": 0,                    # b3db, b3db_logbb: a seeded, stratified subset of N molecules; 0 = all
        "data_dir": "",                 # prepared TFDS data; "" = $LAYERWISE_DATA_DIR or ~/.cache/layerwise/tensorflow_datasets
        "pipeline": "auto",             # auto | resident (train split on the device) | grain (streamed from files)
        "resident_max_mb": 1024,        # auto keeps the train split on the device up to this size
        "workers": 0,                   # grain: reader processes (0 = threads in this process)
        "prefetch": 4,                  # grain: batches read ahead
    })


def complete(data_config: ml_collections.ConfigDict | dict) -> ml_collections.ConfigDict:
    """`data_config` with every key it leaves out at its default (a notebook or a test may give only `name`);
    a key that is not a data key is an error naming the valid ones."""
    given = data_config.to_dict() if isinstance(data_config, ml_collections.ConfigDict) else dict(data_config)
    full = defaults()
    unknown = sorted(set(given) - set(full))
    if unknown:
        raise KeyError(f"unknown data config keys {unknown}; valid keys: {', '.join(sorted(full))}")
    full.update(given)
    return full


def validation_fraction(data_config: ml_collections.ConfigDict, own: float) -> float:
    """The configured validation share, or the data set's `own` where the config leaves it at -1."""
    return own if data_config.validation_fraction < 0 else data_config.validation_fraction
