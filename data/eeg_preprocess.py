"""Trial-level EEG preprocessing for the raw-signal networks, every statistic fitted on the training split.

Three standard steps, each off by default and chosen per data set on validation:

- `reference="average"`: common average reference, the mean over electrodes subtracted at every
  sample (removes what every electrode shares, such as the reference electrode's own activity).
- `baseline="trial"`: each trial's own mean per electrode subtracted, so only the course within the
  trial is left. Robust to offsets that drift between recordings; it discards what the offset
  carried.
- `align="euclidean"`: Euclidean alignment (He and Wu, "Transfer learning for brain-computer
  interfaces: a Euclidean space data alignment approach", IEEE TBME 67(2), 2020; arXiv 2019): every
  trial multiplied by R^-1/2, R the mean spatial covariance of the training trials, so the training
  trials' average covariance is the identity (then each channel is z-scored again). R comes from
  the training split only and the same matrix is applied to every split; the paper's per-session
  variant, which would align the test session by its own (unlabelled) trials, is not used.

Arrays are [N, time, channels] float32, as `data/ts.py` reads them; padding is not supported (the
EEG sets have equal-length trials). `data/uea.py` applies them for `uea/<Problem>` before its
z-scoring (`data.standardize`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from data.dataset import DataError, Split

REFERENCES = ("none", "average")
BASELINES = ("none", "trial")
ALIGNMENTS = ("none", "euclidean")


def check(name: str, reference: str, baseline: str, align: str) -> None:
    """One-line errors naming the key and its valid values."""
    for key, value, valid in (("reference", reference, REFERENCES), ("baseline", baseline, BASELINES),
                              ("align", align, ALIGNMENTS)):
        if value not in valid:
            raise DataError(f"data set {name!r}: data.{key} must be one of {', '.join(valid)}, got {value!r}")


def rereference(x: np.ndarray, reference: str) -> np.ndarray:
    """`average`: the mean over electrodes subtracted at every sample."""
    return x - x.mean(axis=-1, keepdims=True) if reference == "average" else x


def remove_baseline(x: np.ndarray, baseline: str) -> np.ndarray:
    """`trial`: each trial's mean over time subtracted per electrode."""
    return x - x.mean(axis=-2, keepdims=True) if baseline == "trial" else x


def standardize(splits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-channel z-scoring with the training split's mean and standard deviation over trials and time."""
    train = splits["train"]
    mean, std = train.mean(axis=(0, 1)), np.maximum(train.std(axis=(0, 1)), 1e-8)
    return {k: (x - mean) / std for k, x in splits.items()}


def alignment_matrix(train: np.ndarray) -> np.ndarray:
    """R^-1/2 for R the mean over trials of each trial's spatial covariance (time-centred) [channels, channels].

    Eigenvalues below 1e-10 of the largest are floored there, so a rank-deficient R (an average
    reference removes one dimension) gives a finite matrix.
    """
    centred = train - train.mean(axis=1, keepdims=True)
    covariance = np.einsum("ntc,ntd->cd", centred, centred) / (train.shape[0] * train.shape[1])
    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, 1e-10 * values.max())
    return (vectors / np.sqrt(values)) @ vectors.T


def preprocess(splits: dict[str, Split], name: str, reference: str = "none", baseline: str = "none",
               align: str = "none") -> dict[str, Split]:
    """Reference, baseline, then (with `align`) z-score, align and z-score again; statistics from train."""
    check(name, reference, baseline, align)
    if reference == baseline == align == "none":
        return splits
    if any(s.lengths is not None for s in splits.values()):
        raise DataError(f"data set {name!r}: data.reference/baseline/align need equal-length trials")
    x = {k: remove_baseline(rereference(s.inputs.astype(np.float64), reference), baseline) for k, s in splits.items()}
    if align == "euclidean":
        x = standardize(x)
        matrix = alignment_matrix(x["train"])
        x = standardize({k: v @ matrix for k, v in x.items()})
    return {k: dataclasses.replace(s, inputs=x[k].astype(np.float32)) for k, s in splits.items()}
