"""Scaffold splits: whole Bemis-Murcko scaffolds held out, so test molecules have ring systems training never saw.

A random split puts near-copies of a training molecule (the same ring system, another side chain) in
the test set and flatters every model; holding out whole scaffolds measures what the field wants to
know, how well a model does on new chemistry (MoleculeNet, Wu et al., Chemical Science 9:513, 2018).

The scaffold of a molecule is its Bemis-Murcko framework (Bemis and Murcko, J. Med. Chem. 39:2887,
1996: ring systems and the linkers between them, side chains removed), as RDKit's
`MurckoScaffoldSmiles`; acyclic molecules share the empty scaffold. The assignment follows chemprop's
balanced scaffold split (Yang et al., J. Chem. Inf. Model. 59:3370, 2019): scaffold groups larger than
half the validation or test size go first, in a seeded random order, then the others in a seeded
random order, each whole group into train while it fits `train_fraction`, else validation while it
fits, else test. The seed is `data.split_seed`; no group is ever divided between splits.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import numpy as np


def scaffolds(mols: Sequence[Any]) -> list[str]:
    """The Bemis-Murcko scaffold SMILES of each molecule ('' for acyclic ones)."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    return [MurckoScaffold.MurckoScaffoldSmiles(mol=m) for m in mols]


def scaffold_split(keys: Sequence[str], seed: int, fractions: tuple[float, float] = (0.8, 0.1)
                   ) -> dict[str, np.ndarray]:
    """Sorted index arrays {'train', 'validation', 'test'}; molecules with one key stay in one split.

    `fractions` are the train and validation shares; the test split takes the rest.
    """
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    count = len(keys)
    train_size, validation_size = fractions[0] * count, fractions[1] * count
    test_size = count - train_size - validation_size
    ordered = sorted(groups.values(), key=lambda g: g[0])    # first appearance: independent of hashing
    big = [g for g in ordered if len(g) > validation_size / 2 or len(g) > test_size / 2]
    small = [g for g in ordered if not (len(g) > validation_size / 2 or len(g) > test_size / 2)]
    rng = random.Random(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    out: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for group in big + small:
        if len(out["train"]) + len(group) <= train_size:
            out["train"] += group
        elif len(out["validation"]) + len(group) <= validation_size:
            out["validation"] += group
        else:
            out["test"] += group
    return {name: np.sort(np.asarray(indices, np.int64)) for name, indices in out.items()}


def random_split(count: int, seed: int, fractions: tuple[float, float] = (0.8, 0.1),
                 labels: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Sorted index arrays {'train', 'validation', 'test'} of a seeded random split, stratified by
    `labels` when given (each class split in the same proportions)."""
    rng = np.random.default_rng(seed)
    strata = np.zeros(count, np.int64) if labels is None else np.asarray(labels)
    out: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for value in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == value))
        n_train = int(round(fractions[0] * len(members)))
        n_validation = int(round(fractions[1] * len(members)))
        out["train"].append(members[:n_train])
        out["validation"].append(members[n_train:n_train + n_validation])
        out["test"].append(members[n_train + n_validation:])
    return {name: np.sort(np.concatenate(parts)) for name, parts in out.items()}
