"""Molecular graphs as one fixed-size integer array per molecule, so they travel like any other example.

A molecule with up to `max_atoms` heavy atoms, each with at most `max_degree` bonds, becomes an int16
array [max_atoms, ATOM_COLUMNS + 2 * max_degree]. Row i describes atom i:

- columns 0..7: its categorical features (element, degree, formal charge, hydrogens, hybridisation,
  aromatic, in a ring, chirality), each stored as an index into one shared table of ATOM_VOCAB
  entries (every feature has its own range of indices, as in OGB's `atom_to_feature_vector`,
  Hu et al. 2020), so a model embeds the row with a single `nn.Embed` and sums the columns;
- the next `max_degree` columns: the row numbers of its neighbours;
- the last `max_degree` columns: the bond to each of them (type x conjugated x in a ring), an index
  into BOND_VOCAB entries.

Index 0 means "nothing" everywhere: a padding atom is an all-zero row, an unused neighbour slot has
bond 0 (its neighbour column is 0 too and is ignored). The row order is RDKit's atom order, which is
arbitrary; a model that sums over neighbours and pools over atoms with these masks cannot depend on it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

ELEMENTS = ("B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I")   # anything else: "other"
CHARGES = (-2, -1, 0, 1, 2)
HYBRIDISATIONS = ("S", "SP", "SP2", "SP3", "SP3D", "SP3D2")
CHIRALITIES = ("CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW")
BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")

# Categories per atom feature, "other" included as the last category of each.
ATOM_SIZES = (len(ELEMENTS) + 1, 7, len(CHARGES) + 1, 5, len(HYBRIDISATIONS) + 1, 2, 2, len(CHIRALITIES) + 1)
ATOM_COLUMNS = len(ATOM_SIZES)
ATOM_OFFSETS = tuple(1 + int(np.sum(ATOM_SIZES[:i])) for i in range(ATOM_COLUMNS))
ATOM_VOCAB = 1 + int(np.sum(ATOM_SIZES))
BOND_VOCAB = 1 + (len(BOND_TYPES) + 1) * 2 * 2


def _category(value: Any, choices: Sequence[Any]) -> int:
    return choices.index(value) if value in choices else len(choices)


def atom_features(atom: Any) -> list[int]:
    """The ATOM_COLUMNS table indices of one RDKit atom."""
    categories = (
        _category(atom.GetSymbol(), ELEMENTS),
        min(atom.GetDegree(), 6),
        _category(atom.GetFormalCharge(), CHARGES),
        min(atom.GetTotalNumHs(), 4),
        _category(str(atom.GetHybridization()), HYBRIDISATIONS),
        int(atom.GetIsAromatic()),
        int(atom.IsInRing()),
        _category(str(atom.GetChiralTag()), CHIRALITIES),
    )
    return [offset + c for offset, c in zip(ATOM_OFFSETS, categories)]


def bond_feature(bond: Any) -> int:
    """The BOND_VOCAB index of one RDKit bond (never 0, which means "no bond")."""
    kind = _category(str(bond.GetBondType()), BOND_TYPES)
    return 1 + (kind * 2 + int(bond.GetIsConjugated())) * 2 + int(bond.IsInRing())


def size(mols: Sequence[Any]) -> tuple[int, int]:
    """(max_atoms rounded up to a multiple of 8, max_degree) that hold every molecule of `mols`."""
    atoms = max(m.GetNumAtoms() for m in mols)
    degree = max((a.GetDegree() for m in mols for a in m.GetAtoms()), default=1)
    return -(-atoms // 8) * 8, max(degree, 1)


def encode(mol: Any, max_atoms: int, max_degree: int) -> np.ndarray:
    """One molecule as int16 [max_atoms, ATOM_COLUMNS + 2 * max_degree] (layout in the module docstring)."""
    if mol.GetNumAtoms() > max_atoms:
        raise ValueError(f"molecule with {mol.GetNumAtoms()} atoms does not fit max_atoms={max_atoms}")
    out = np.zeros((max_atoms, ATOM_COLUMNS + 2 * max_degree), np.int16)
    for atom in mol.GetAtoms():
        i = atom.GetIdx()
        out[i, :ATOM_COLUMNS] = atom_features(atom)
        bonds = atom.GetBonds()
        if len(bonds) > max_degree:
            raise ValueError(f"atom {i} has {len(bonds)} bonds, more than max_degree={max_degree}")
        for slot, bond in enumerate(bonds):
            out[i, ATOM_COLUMNS + slot] = bond.GetOtherAtomIdx(i)
            out[i, ATOM_COLUMNS + max_degree + slot] = bond_feature(bond)
    return out


def encode_all(mols: Sequence[Any], max_atoms: int, max_degree: int) -> np.ndarray:
    """int16 [N, max_atoms, ATOM_COLUMNS + 2 * max_degree] for a list of RDKit molecules."""
    return np.stack([encode(m, max_atoms, max_degree) for m in mols])
