"""`b3db`: blood-brain-barrier permeability (BBB+ / BBB-) of 7,807 molecules, as tokens, graphs or fingerprints.

B3DB (Meng, Xi, Huang and Ayers, "A curated diverse molecular database of blood-brain barrier
permeability with chemical descriptors", Scientific Data 8:289, 2021; CC0) ships in the PyPI package
`qc-b3db`, whose TSV files are read from disk (the package is never imported: it pulls in pandas).
Each SMILES is parsed and sanitised by RDKit; a row RDKit rejects is counted and reported, with its
row number and RDKit's reason, when the data set is prepared, and left out (2 of the 7,807 rows of
B3DB 1.1.1: two carbocations `[C+](O)` with four bonds, an impossible valence). Class 1 is BBB+
(4,956), class 0 BBB- (2,851).

Splits (80 / 10 / 10, seeded by `data.split_seed` only):
- `data.split=scaffold` (the default): whole Bemis-Murcko scaffolds held out (`data/scaffold.py`);
- `data.split=random`: stratified by class.

What an example is, `data.features`:
- `tokens`: the RDKit canonical SMILES as atom-level token ids [max_tokens] with `lengths`
  (`data/smiles.py`), the vocabulary fitted on the training molecules; `data.randomized_smiles=K`
  adds K randomised SMILES of every training molecule to the training split (augmentation; held-out
  molecules keep their canonical SMILES). Longer SMILES keep their first `max_tokens` tokens; how many
  were cut is reported at preparation.
- `graph`: the molecular graph as int16 [max_atoms, columns] (`data/molgraph.py`).
- `morgan`: ECFP4 bits, uint8 [2048]; `descriptors`: RDKit's 2-D descriptors, standardised with
  training statistics, float32 [217] (`data/molfeatures.py`).

`data.subset=N` keeps a seeded, stratified N molecules (before splitting) for quick runs and tests.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import importlib.util
import sys
from pathlib import Path
from typing import Any

import ml_collections
import numpy as np

from data import molfeatures, molgraph, scaffold, smiles
from data.dataset import DataError, Dataset, Split

NAME = "b3db"
VERSION = "1"  # bump when the loader's output changes
TABLE = "B3DB_classification.tsv"
SOURCE = ("B3DB 1.1.1 (Meng et al. 2021, CC0), PyPI qc-b3db: 7,807 SMILES labelled BBB+ / BBB-; 2 rows "
          "RDKit rejects are reported at preparation and left out")
SPLITS = {"train": 6244, "validation": 780, "test": 781}   # data.split=scaffold (random: 6244 / 781 / 780)
CLASSES = ("BBB-", "BBB+")
FEATURES = ("tokens", "graph", "morgan", "descriptors")
SPLIT_KINDS = ("scaffold", "random")
FRACTIONS = (0.8, 0.1)
MAX_TOKENS = 128   # data.max_tokens=0: 99% of B3DB's canonical SMILES are shorter
_PACKAGE, _INSTALL = "B3DB", "pip install --no-deps qc-b3db==1.1.1 (or python -m data.install)"
_RDKIT = "pip install -e '.[molecules]' (or pip install rdkit)"


@dataclasses.dataclass(frozen=True)
class Molecules:
    """The parsed rows of one B3DB table: RDKit molecules with their canonical SMILES and targets."""

    mols: tuple[Any, ...]
    canonical: tuple[str, ...]
    targets: np.ndarray              # int class (classification) or float logBB (regression)
    rows: int                        # data rows in the file
    invalid: tuple[tuple[int, str, str], ...]   # (row number, SMILES, RDKit's reason) of rejected rows


def table_path(file_name: str, directory: str = "") -> Path:
    """The TSV file, from `directory` (`data.path`) if given, else from the installed qc-b3db package."""
    if directory:
        path = Path(directory).expanduser() / file_name
        if not path.exists():
            raise DataError(f"data set {NAME!r}: {path} does not exist; point --config.data.path at a "
                            f"directory holding {file_name}, or leave it empty to use the installed package")
        return path
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"data set {NAME!r} needs the files shipped in the 'qc-b3db' package: {_INSTALL}")
    path = Path(spec.submodule_search_locations[0]) / file_name
    if not path.exists():
        raise DataError(f"data set {NAME!r}: {path} is missing; reinstall with {_INSTALL}")
    return path


def parse(text: str) -> tuple[Any | None, str]:
    """(RDKit molecule, '') or (None, RDKit's reason) for one SMILES string."""
    try:
        from rdkit import Chem, RDLogger
    except ImportError as error:
        raise DataError(f"molecule data sets need RDKit: {_RDKIT}") from error
    RDLogger.DisableLog("rdApp.*")       # the reason is reported below, once, instead of RDKit's log lines
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None, "unparsable SMILES"
    try:
        Chem.SanitizeMol(mol)
    except Exception as error:  # noqa: BLE001 - RDKit raises several sanitisation exception types
        return None, str(error).strip().splitlines()[0]
    if mol.GetNumAtoms() == 0:
        return None, "no atoms"
    return mol, ""


@functools.lru_cache(maxsize=4)
def read(path: Path, target_column: str) -> Molecules:
    """Every row of a B3DB table, parsed once per process (each feature set's preparation reuses it)."""
    from rdkit import Chem

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if not rows or "SMILES" not in rows[0] or target_column not in rows[0]:
        raise DataError(f"data set {NAME!r}: {path} has no SMILES and {target_column!r} columns; "
                        f"reinstall with {_INSTALL}")
    mols, canonical, targets, invalid = [], [], [], []
    for number, row in enumerate(rows, start=1):
        mol, reason = parse(row["SMILES"])
        if mol is None:
            invalid.append((number, row["SMILES"], reason))
            continue
        mols.append(mol)
        canonical.append(Chem.MolToSmiles(mol))
        targets.append(row[target_column])
    return Molecules(tuple(mols), tuple(canonical), np.asarray(targets), len(rows), tuple(invalid))


def report_invalid(name: str, molecules: Molecules) -> str:
    """One line per rejected row under a count, printed at preparation (and returned, for tests)."""
    if not molecules.invalid:
        text = f"data set {name!r}: all {molecules.rows} SMILES parsed by RDKit"
        print(text, file=sys.stderr, flush=True)
        return text
    lines = [f"data set {name!r}: {len(molecules.invalid)} of {molecules.rows} SMILES rejected by RDKit "
             "and left out:"]
    lines += [f"  row {number}: {text}  ({reason})" for number, text, reason in molecules.invalid]
    text = "\n".join(lines)
    print(text, file=sys.stderr, flush=True)
    return text


def subset(count: int, labels: np.ndarray | None, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded (stratified where `labels` are given) subset of `size` molecules."""
    if size <= 0 or size >= count:
        return np.arange(count)
    return scaffold.random_split(count, seed, (size / count, 0.0), labels)["train"]


def split_indices(config: ml_collections.ConfigDict, molecules: Molecules, labels: np.ndarray | None,
                  name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(the molecules kept, {split: positions among them}) as `data.split`, `split_seed`, `subset` say."""
    kind = config.get("split", "scaffold")
    if kind not in SPLIT_KINDS:
        raise DataError(f"data set {name!r}: data.split must be one of {', '.join(SPLIT_KINDS)}, got {kind!r}")
    seed = int(config.get("split_seed", 0))
    kept = subset(len(molecules.mols), labels, int(config.get("subset", 0)), seed)
    if kind == "scaffold":
        keys = scaffold.scaffolds([molecules.mols[i] for i in kept])
        return kept, scaffold.scaffold_split(keys, seed, FRACTIONS)
    return kept, scaffold.random_split(len(kept), seed, FRACTIONS, None if labels is None else labels[kept])


def featurize(config: ml_collections.ConfigDict, molecules: Molecules, kept: np.ndarray,
              indices: dict[str, np.ndarray], name: str) -> tuple[dict[str, tuple[np.ndarray, Any]], Any]:
    """{split: (inputs, lengths or None)} and the vocabulary (tokens only), for `data.features`.

    With randomised SMILES the training rows are the molecules, then their extra spellings in the
    order of `augmented_order` (which repeats the targets to match).
    """
    kind = config.get("features", "graph")
    mols = {split: [molecules.mols[kept[i]] for i in idx] for split, idx in indices.items()}
    if kind == "graph":
        max_atoms, max_degree = molgraph.size(molecules.mols)
        return {split: (molgraph.encode_all(m, max_atoms, max_degree), None) for split, m in mols.items()}, None
    if kind == "morgan":
        return {split: (molfeatures.morgan(m), None) for split, m in mols.items()}, None
    if kind == "descriptors":
        raw = {split: molfeatures.descriptors(m) for split, m in mols.items()}
        train, others = molfeatures.standardize(raw.pop("train"), raw)
        return {"train": (train, None), **{split: (x, None) for split, x in others.items()}}, None
    if kind == "tokens":
        return _tokens(config, molecules, kept, indices, mols, name)
    raise DataError(f"data set {name!r}: data.features must be one of {', '.join(FEATURES)}, got {kind!r}")


def _tokens(config: ml_collections.ConfigDict, molecules: Molecules, kept: np.ndarray,
            indices: dict[str, np.ndarray], mols: dict[str, list[Any]], name: str
            ) -> tuple[dict[str, tuple[np.ndarray, Any]], tuple[str, ...]]:
    copies = int(config.get("randomized_smiles", 0))
    seed = int(config.get("split_seed", 0))
    texts = {split: [molecules.canonical[kept[i]] for i in idx] for split, idx in indices.items()}
    texts["train"] = texts["train"] + [s for i, mol in enumerate(mols["train"])
                                       for s in smiles.randomized(mol, copies, seed * 1_000_003 + i)]
    tokenizer = smiles.SmilesTokenizer.fit(texts["train"], int(config.get("vocab_size", 20000)))
    max_tokens = int(config.get("max_tokens", 0)) or MAX_TOKENS
    out, cut = {}, 0
    for split, strings in texts.items():
        ids, lengths = tokenizer.encode_padded(strings, max_tokens)
        cut += sum(len(smiles.smiles_tokens(s)) > max_tokens for s in strings)
        out[split] = (ids, lengths)
    if cut:
        print(f"data set {name!r}: {cut} SMILES longer than data.max_tokens={max_tokens} tokens keep their "
              f"first {max_tokens}", file=sys.stderr, flush=True)
    return out, tokenizer.vocabulary


def augmented_order(count: int, copies: int) -> np.ndarray:
    """Which training molecule each training row is: the originals, then `copies` spellings of each."""
    return np.concatenate([np.arange(count), np.repeat(np.arange(count), copies)])


def build(config: ml_collections.ConfigDict, molecules: Molecules, targets: np.ndarray,
          strata: np.ndarray | None, name: str) -> tuple[dict[str, Split], tuple[str, ...] | None]:
    """The splits of `molecules` with their `targets` (stratified by `strata` on a random split),
    and the token vocabulary where the features are tokens."""
    kept, indices = split_indices(config, molecules, strata, name)
    inputs, vocabulary = featurize(config, molecules, kept, indices, name)
    copies = int(config.get("randomized_smiles", 0)) if config.get("features", "graph") == "tokens" else 0
    splits = {}
    for split, idx in indices.items():
        rows, lengths = inputs[split]
        chosen = targets[kept[idx]]
        splits[split] = Split(rows, chosen[augmented_order(len(idx), copies)] if split == "train" else chosen,
                              lengths)
    return splits, vocabulary


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [table_path(TABLE, config.get("path", ""))]


def load(config: ml_collections.ConfigDict) -> Dataset:
    """B3DB classification: class 1 = BBB+, 0 = BBB-, in the representation `data.features` asks for."""
    molecules = read(table_path(TABLE, config.get("path", "")), "BBB+/BBB-")
    report_invalid(NAME, molecules)
    unknown = sorted(set(molecules.targets) - set(CLASSES))
    if unknown:
        raise DataError(f"data set {NAME!r}: labels {unknown} are neither of {CLASSES}")
    labels = np.asarray([CLASSES.index(t) for t in molecules.targets], np.int32)
    splits, vocabulary = build(config, molecules, labels, labels, NAME)
    return Dataset(name=NAME, splits=splits, num_classes=2, vocabulary=vocabulary)
