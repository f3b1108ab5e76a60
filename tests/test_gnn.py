"""The molecule models: the GNNs ignore atom numbering, pack batches exactly; the token CNN ignores padding."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from data import molgraph
from models.dmpnn import DMPNN, pack_edges
from models.gnn import GNN, pack
from models.token_cnn import TokenCNN

SMILES = ("CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "OCC(O)CO", "c1ccc2[nH]ccc2c1", "[Xe]",
          "C[N+](C)(C)CCOC(N)=O", "FC(F)(F)c1ccc(Cl)cc1S(=O)(=O)N", "CCO.Cl")


@pytest.fixture(scope="module")
def graphs():
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    return molgraph.encode_all(mols, 32, 6)


def permute_atoms(graph: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """The same molecule with its atoms renumbered: new row p is old row `permutation[p]`."""
    degree = (graph.shape[-1] - molgraph.ATOM_COLUMNS) // 2
    new_index = np.empty_like(permutation)
    new_index[permutation] = np.arange(len(permutation))
    out = graph[permutation].copy()
    neighbours = out[:, molgraph.ATOM_COLUMNS:molgraph.ATOM_COLUMNS + degree]
    used = out[:, molgraph.ATOM_COLUMNS + degree:] > 0
    out[:, molgraph.ATOM_COLUMNS:molgraph.ATOM_COLUMNS + degree] = np.where(used, new_index[neighbours], 0)
    return out


def test_gnn_output_does_not_depend_on_atom_order(graphs):
    model = GNN(num_classes=2, hidden=32, layers=3, atoms_per_molecule=16)
    variables = jax.jit(model.init)(jax.random.key(0), jnp.asarray(graphs))
    apply = jax.jit(model.apply)
    before = apply(variables, jnp.asarray(graphs))
    rng = np.random.default_rng(0)
    for _ in range(3):   # whole rows shuffled, padding rows included, and real atoms no longer a prefix
        shuffled = np.stack([permute_atoms(g, rng.permutation(len(g))) for g in graphs])
        assert not np.array_equal(shuffled, graphs)
        np.testing.assert_allclose(apply(variables, jnp.asarray(shuffled)), before, rtol=1e-5, atol=1e-5)


def test_gnn_sees_the_bonds(graphs):
    """Not trivially invariant: other bond types, or one bond fewer, change the output."""
    model = GNN(num_classes=2, hidden=32, layers=2)
    variables = jax.jit(model.init)(jax.random.key(1), jnp.asarray(graphs))
    bonds = slice(molgraph.ATOM_COLUMNS + 6, None)
    retyped = graphs.copy()
    retyped[:, :, bonds] = np.where(retyped[:, :, bonds] > 0, 2, 0)
    cut = graphs.copy()
    cut[0, 0, bonds.start] = cut[0, 1, bonds.start] = 0          # aspirin's first bond, C0-C1, removed
    apply = jax.jit(model.apply)
    outputs = [apply(variables, jnp.asarray(g))[0] for g in (graphs, retyped, cut)]
    assert not np.allclose(outputs[0], outputs[1]) and not np.allclose(outputs[0], outputs[2])


def test_packed_batch_equals_the_padded_computation_and_overflow_falls_back(graphs):
    x = jnp.asarray(graphs)
    roomy = GNN(num_classes=3, hidden=16, layers=1, atoms_per_molecule=32)     # capacity = whole padded batch
    variables = jax.jit(roomy.init)(jax.random.key(2), x)
    expected = jax.jit(roomy.apply)(variables, x)
    for atoms_per_molecule in (16, 2):          # 8 x 16 rows hold all 78 atoms; 8 x 2 do not: padded path
        model = GNN(num_classes=3, hidden=16, layers=1, atoms_per_molecule=atoms_per_molecule)
        got = jax.jit(model.apply)(variables, x)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    packed = pack(x, molgraph.ATOM_COLUMNS, 128)
    counts = [int((g[:, 0] > 0).sum()) for g in graphs]
    assert int(packed["used"].sum()) == sum(counts)
    assert np.array_equal(np.bincount(np.asarray(packed["molecule"]), minlength=9)[:8], counts)


def test_dmpnn_reverses_every_bond_packs_exactly_and_ignores_atom_order(graphs):
    from rdkit import Chem

    x = jnp.asarray(graphs)
    packed = pack(x, molgraph.ATOM_COLUMNS, 128)
    edges = {k: np.asarray(v) for k, v in pack_edges(packed["neighbours"], packed["bonds"], 256).items()}
    used = edges["used"]
    assert used.sum() == 2 * sum(Chem.MolFromSmiles(s).GetNumBonds() for s in SMILES)
    reverse = edges["reverse"][used]
    assert np.array_equal(edges["reverse"][reverse], np.flatnonzero(used))
    assert np.array_equal(edges["source"][reverse], edges["target"][used])
    roomy = DMPNN(num_classes=2, hidden=16, depth=3, atoms_per_molecule=32, edges_per_molecule=32 * 6)
    variables = jax.jit(roomy.init)(jax.random.key(3), x)
    padded = jax.jit(roomy.apply)
    expected = padded(variables, x)
    packed = jax.jit(DMPNN(num_classes=2, hidden=16, depth=3, atoms_per_molecule=16, edges_per_molecule=24).apply)
    overflow = jax.jit(DMPNN(num_classes=2, hidden=16, depth=3, atoms_per_molecule=16, edges_per_molecule=2).apply)
    np.testing.assert_allclose(packed(variables, x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(overflow(variables, x), expected, rtol=1e-5, atol=1e-6)   # too few bond rows
    shuffled = np.stack([permute_atoms(g, np.random.default_rng(1).permutation(len(g))) for g in graphs])
    np.testing.assert_allclose(packed(variables, jnp.asarray(shuffled)), expected, rtol=1e-5, atol=1e-5)
    retyped = graphs.copy()
    bonds = slice(molgraph.ATOM_COLUMNS + 6, None)
    retyped[:, :, bonds] = np.where(retyped[:, :, bonds] > 0, 2, 0)
    assert not np.allclose(padded(variables, jnp.asarray(retyped)), expected)

def test_token_cnn_ignores_what_lies_past_each_length():
    model = TokenCNN(num_classes=2, vocab_size=20, features=(8, 8), kernel=3, hidden=8)
    tokens = np.array([[3, 4, 5, 6, 0, 0, 0, 0], [7, 8, 9, 3, 4, 5, 6, 2]], np.int32)
    lengths = np.array([4, 8], np.int32)
    variables = model.init(jax.random.key(0), jnp.asarray(tokens))
    apply = jax.jit(model.apply)
    out = apply(variables, jnp.asarray(tokens), lengths=jnp.asarray(lengths))
    noisy = tokens.copy()
    noisy[0, 4:] = [9, 9, 9, 9]
    np.testing.assert_allclose(apply(variables, jnp.asarray(noisy), lengths=jnp.asarray(lengths)), out, rtol=1e-6)
    np.testing.assert_allclose(apply(variables, jnp.asarray(tokens)), out, rtol=1e-6)   # mask from padding
