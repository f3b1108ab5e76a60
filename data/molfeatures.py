"""Hand-engineered molecular features computed by RDKit: the classic inputs a learned representation must beat.

- Morgan fingerprints (Rogers and Hahn, "Extended-connectivity fingerprints", J. Chem. Inf. Model.
  50:742, 2010): radius 2 (ECFP4), 2048 bits, uint8 0/1.
- RDKit's 2-D descriptor set (`Descriptors.CalcMolDescriptors`: 217 in RDKit 2026.09, from molecular
  weight, logP and TPSA to topological indices and fragment counts). Some are undefined for unusual
  molecules (NaN) and some span dozens of orders of magnitude (`Ipc`), so `standardize` fills missing
  values with the training median, clips each descriptor to the 0.5-99.5 percentiles of the training
  molecules and z-scores it with training statistics: nothing is fitted on held-out molecules.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

MORGAN_RADIUS, MORGAN_BITS = 2, 2048


def morgan(mols: Sequence[Any], radius: int = MORGAN_RADIUS, bits: int = MORGAN_BITS) -> np.ndarray:
    """uint8 [N, bits] Morgan fingerprint bits."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    return np.stack([generator.GetFingerprintAsNumPy(m).astype(np.uint8) for m in mols])


def descriptor_names() -> list[str]:
    from rdkit.Chem import Descriptors

    return [name for name, _ in Descriptors._descList]


def descriptors(mols: Sequence[Any]) -> np.ndarray:
    """float64 [N, D] raw RDKit 2-D descriptors, NaN where RDKit cannot compute one (or it is infinite)."""
    from rdkit.Chem import Descriptors

    names = descriptor_names()
    rows = []
    for mol in mols:
        values = Descriptors.CalcMolDescriptors(mol, missingVal=float("nan"))
        rows.append([values[name] for name in names])
    out = np.asarray(rows, np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def standardize(train: np.ndarray, others: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """float32 z-scores of every split, with the median, clip range, mean and std of `train` only."""
    with np.errstate(all="ignore"):
        median = np.nanmedian(train, axis=0)
    median = np.where(np.isfinite(median), median, 0.0)
    filled = np.where(np.isnan(train), median, train)
    low, high = np.percentile(filled, [0.5, 99.5], axis=0)

    def transform(x: np.ndarray) -> np.ndarray:
        return np.clip(np.where(np.isnan(x), median, x), low, high)

    clipped = transform(train)
    mean, std = clipped.mean(axis=0), clipped.std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def scale(x: np.ndarray) -> np.ndarray:
        return ((transform(x) - mean) / std).astype(np.float32)

    return scale(train), {name: scale(x) for name, x in others.items()}
