"""B3DB as data: SMILES tokens, scaffold splits, molecular graphs, descriptors, invalid rows reported."""

import csv

import ml_collections
import numpy as np
import pytest

from data import b3db, b3db_logbb, molfeatures, molgraph, scaffold, smiles
from data.dataset import DataError


@pytest.fixture(scope="module")
def molecules():
    return b3db.read(b3db.table_path("B3DB_classification.tsv"), "BBB+/BBB-")


def test_tokens_of_every_b3db_smiles_join_back_to_it(molecules):
    with b3db.table_path("B3DB_classification.tsv").open(newline="") as handle:
        raw = [row["SMILES"] for row in csv.DictReader(handle, delimiter="\t")]
    assert len(raw) == 7807
    for text in raw + list(molecules.canonical):
        assert "".join(smiles.smiles_tokens(text)) == text
    assert smiles.smiles_tokens("C[C@@H](Br)c1ccccc1Cl.[Na+]") == \
        ["C", "[C@@H]", "(", "Br", ")", "c", "1", "c", "c", "c", "c", "c", "1", "Cl", ".", "[Na+]"]
    assert smiles.smiles_tokens("C%12CC%12") == ["C", "%12", "C", "C", "%12"]


def test_tokenizer_round_trips_and_marks_unseen_tokens(molecules):
    train = list(molecules.canonical[:5000])
    tokenizer = smiles.SmilesTokenizer.fit(train, vocab_size=256)
    ids, lengths = tokenizer.encode_padded(train[:50], max_len=300)
    for row, length, text in zip(ids, lengths, train[:50]):
        assert tokenizer.decode(row[:length]) == text and np.all(row[length:] == smiles.PAD)
    unseen = tokenizer.encode("C[U]C")
    assert unseen[1] == smiles.OOV and tokenizer.decode(unseen) == "C<oov>C"


def test_randomized_smiles_spell_the_same_molecule(molecules):
    from rdkit import Chem

    mol = molecules.mols[0]
    spellings = smiles.randomized(mol, 5, seed=3)
    assert spellings == smiles.randomized(mol, 5, seed=3) and len(set(spellings)) > 1
    assert {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in spellings} == {molecules.canonical[0]}


def test_scaffold_split_holds_no_scaffold_in_two_splits(molecules):
    keys = scaffold.scaffolds(molecules.mols)
    for seed in (0, 1):
        parts = scaffold.scaffold_split(keys, seed)
        assert sum(len(p) for p in parts.values()) == len(keys)
        assert len(np.unique(np.concatenate(list(parts.values())))) == len(keys)
        owners = {name: {keys[i] for i in idx} for name, idx in parts.items()}
        assert not owners["train"] & owners["validation"]
        assert not owners["train"] & owners["test"]
        assert not owners["validation"] & owners["test"]
        assert abs(len(parts["train"]) / len(keys) - 0.8) < 0.01 and len(parts["test"]) > 0.09 * len(keys)
    assert not np.array_equal(scaffold.scaffold_split(keys, 0)["test"], scaffold.scaffold_split(keys, 1)["test"])


def test_random_split_is_stratified_and_seeded():
    labels = np.repeat([0, 1], [300, 700])
    parts = scaffold.random_split(len(labels), 5, labels=labels)
    assert [len(parts[s]) for s in ("train", "validation", "test")] == [800, 100, 100]
    assert np.mean(labels[parts["test"]]) == pytest.approx(0.7)
    assert np.array_equal(parts["test"], scaffold.random_split(len(labels), 5, labels=labels)["test"])


def test_graph_rows_describe_rdkit_bonds_both_ways(molecules):
    mol = molecules.mols[0]
    max_atoms, max_degree = molgraph.size(molecules.mols)
    assert (max_atoms, max_degree) == (136, 6)
    graph = molgraph.encode(mol, max_atoms, max_degree)
    neighbours = graph[:, molgraph.ATOM_COLUMNS:molgraph.ATOM_COLUMNS + max_degree]
    bonds = graph[:, molgraph.ATOM_COLUMNS + max_degree:]
    edges = {(i, int(j)) for i in range(max_atoms) for j, b in zip(neighbours[i], bonds[i]) if b > 0}
    assert len(edges) == 2 * mol.GetNumBonds() and all((j, i) in edges for i, j in edges)
    assert np.all(graph[mol.GetNumAtoms():] == 0) and np.all(graph[:mol.GetNumAtoms(), 0] > 0)
    assert graph[:, :molgraph.ATOM_COLUMNS].max() < molgraph.ATOM_VOCAB and bonds.max() < molgraph.BOND_VOCAB


def test_feature_tables_fit_the_gnn_defaults():
    from models.gnn import GNN

    defaults = GNN(num_classes=2)
    assert molgraph.ATOM_COLUMNS == defaults.atom_columns
    assert molgraph.ATOM_VOCAB <= defaults.atom_vocab and molgraph.BOND_VOCAB <= defaults.bond_vocab


def test_descriptors_are_scaled_with_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, size=(400, 3))
    train[0, 1] = np.nan
    train[:, 2] = 7.0                                          # a constant descriptor
    shifted = train[:50] + 100.0
    scaled, others = molfeatures.standardize(train, {"test": shifted})
    assert np.all(np.isfinite(scaled)) and np.allclose(scaled[:, :2].mean(0), 0, atol=1e-6)
    assert np.all(scaled[:, 2] == 0)
    assert np.allclose(others["test"][:, 0], scaled[:, 0].max(), atol=1e-6)   # clipped at train's range


def _table(tmp_path, rows):
    header = "NO.\tcompound_name\tSMILES\tBBB+/BBB-\tlogBB"
    (tmp_path / "B3DB_classification.tsv").write_text(
        "\n".join([header] + [f"{i}\tm{i}\t{s}\t{y}\t" for i, (s, y) in enumerate(rows, 1)]) + "\n")
    return tmp_path


def test_invalid_smiles_are_counted_and_reported_at_preparation(tmp_path, capsys):
    good = ["CCO", "c1ccccc1O", "CCN(CC)CC", "CC(=O)O", "c1ccncc1", "CCCCCC", "OCC(O)CO", "c1ccc2ccccc2c1",
            "CN1CCCC1", "ClCCl", "CCOC", "c1ccoc1", "NCCO", "CC(C)O", "c1ccsc1", "OC1CCCC1", "CCCl", "CC#N",
            "NC(=O)C", "FC(F)F"]
    rows = [(s, "BBB+" if i % 2 else "BBB-") for i, s in enumerate(good)]
    rows.insert(3, ("C1CC", "BBB+"))                           # an unclosed ring
    rows.insert(7, ("C[C+](O)(C)(C)C", "BBB-"))                # a carbon with five bonds
    config = ml_collections.ConfigDict({"path": str(_table(tmp_path, rows)), "features": "morgan",
                                        "split": "random", "split_seed": 0})
    dataset = b3db.load(config)
    assert sum(len(s) for s in dataset.splits.values()) == len(good)
    report = capsys.readouterr().err
    assert "2 of 22 SMILES rejected by RDKit and left out" in report
    assert "row 4: C1CC" in report and "row 8: C[C+](O)(C)(C)C" in report and "valence" in report


def test_bad_settings_name_the_key(tmp_path):
    config = ml_collections.ConfigDict({"features": "fingerprints", "split": "random"})
    with pytest.raises(DataError, match="data.features must be one of tokens, graph, morgan, descriptors"):
        b3db.load(config)
    with pytest.raises(DataError, match="data.split must be one of scaffold, random"):
        b3db.load(ml_collections.ConfigDict({"features": "graph", "split": "time"}))
    with pytest.raises(DataError, match="data.path"):
        b3db.load(ml_collections.ConfigDict({"path": str(tmp_path / "nowhere")}))


def test_logbb_targets_are_standardised_on_train_with_the_scale_kept():
    config = ml_collections.ConfigDict({"features": "morgan", "split": "scaffold", "split_seed": 0})
    dataset = b3db_logbb.load(config)
    train = dataset.splits["train"].labels
    assert dataset.task == "regression" and train.shape[1] == 1
    assert abs(float(train.mean())) < 1e-5 and float(train.std()) == pytest.approx(1.0, abs=1e-5)
    assert sum(len(s) for s in dataset.splits.values()) == 1058 and 0.5 < dataset.target_scale < 1.0


def test_randomized_smiles_enlarge_only_the_training_split():
    config = ml_collections.ConfigDict({"features": "tokens", "split": "random", "split_seed": 0, "subset": 300,
                                        "randomized_smiles": 2, "max_tokens": 200, "vocab_size": 128})
    dataset = b3db.load(config)
    train = dataset.splits["train"]
    assert len(train) == 3 * 240 and len(dataset.splits["test"]) == 30
    assert np.array_equal(train.labels[240:], np.repeat(train.labels[:240], 2))
    assert dataset.vocabulary[:2] == ("<pad>", "<oov>")
