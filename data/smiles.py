"""SMILES as token sequences: atom-level tokens, a vocabulary fitted on training molecules, randomised SMILES.

The tokens are those of the regular expression of Schwaller et al., "Molecular Transformer" (ACS
Central Science 5:1572, 2019): a bracket atom (`[nH]`, `[C@@H]`, `[N+]`) is one token, as are the
two-letter organic atoms `Br` and `Cl`, bonds, branches and ring-closure digits (`%10` for two-digit
closures). Every character of a valid SMILES belongs to exactly one token, so joining the tokens gives
the string back (`tests/test_molecules_data.py` checks it on every molecule of B3DB).

Randomised SMILES (Bjerrum, "SMILES enumeration as data augmentation", arXiv:1703.07076, 2017;
Arus-Pous et al., J. Cheminformatics 11:71, 2019) write the same molecule from a random starting atom
and traversal order: the network sees several spellings of each training molecule.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from data.text import OOV, PAD, Tokenizer

SMILES_TOKEN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])")


def smiles_tokens(smiles: str) -> list[str]:
    """Atom-level tokens of a SMILES string, in order."""
    return SMILES_TOKEN.findall(smiles)


class SmilesTokenizer(Tokenizer):
    """SMILES -> token ids (0 padding, 1 a token never seen in training), and back."""

    split = staticmethod(smiles_tokens)

    def decode(self, ids: Sequence[int]) -> str:
        """The SMILES string of `ids`, padding dropped (an out-of-vocabulary id reads as '<oov>')."""
        return "".join(self.vocabulary[i] for i in ids if i != PAD)


def randomized(mol: Any, count: int, seed: int) -> list[str]:
    """`count` random (non-canonical) SMILES of an RDKit molecule, the same ones for the same seed."""
    from rdkit import Chem

    return list(Chem.MolToRandomSmilesVect(mol, count, randomSeed=seed)) if count else []


__all__ = ["OOV", "PAD", "SMILES_TOKEN", "SmilesTokenizer", "randomized", "smiles_tokens"]
