"""A graph neural network on molecular graphs: atoms exchange messages along bonds, then the molecule is pooled.

Input: the padded integer layout of `data/molgraph.py`, [batch, max_atoms, atom_columns + 2 * max_degree]
(atom feature indices, neighbour row numbers, bond feature indices; 0 = nothing). Each layer is a GINE
convolution (Xu et al., "How powerful are graph neural networks?", ICLR 2019; with bond features as in
Hu et al., "Strategies for pre-training graph neural networks", ICLR 2020):

    m_i = sum over bonds (i, j) of relu(h_j + e_ij)
    h_i <- h_i + relu(LN(MLP((1 + eps) h_i + m_i)))

then masked mean and max pooling over each molecule's atoms and an MLP head.

**Flattened batch.** B3DB's largest molecule has 136 heavy atoms and the median 26, so a padded
[batch, 136, hidden] layout would spend about 80% of every layer on padding. Inside the model the real
atoms of the whole batch are therefore packed into one flat list of `atoms_per_molecule * batch` rows
(the graph-network layout of jraph: a node list with molecule ids), neighbours are renumbered into it,
and pooling is `jax.ops.segment_sum` / `segment_max` over molecule ids. A batch whose atoms do not fit
(more than `atoms_per_molecule` on average: never seen in B3DB's splits at batch 64) takes the same
computation at the full padded size instead (`nn.cond`), so every input gives the exact result.
Summing over bonds and pooling over atoms make the output independent of the order in which atoms are
numbered (`tests/test_gnn.py` permutes them).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

READOUTS = ("mean", "sum", "max", "mean_max")


def split_graph(x: jax.Array, atom_columns: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(atom feature indices [B, A, atom_columns], neighbour rows [B, A, D], bond indices [B, A, D])."""
    x = x.astype(jnp.int32)
    degree = (x.shape[-1] - atom_columns) // 2
    return x[..., :atom_columns], x[..., atom_columns:atom_columns + degree], x[..., atom_columns + degree:]


def multi_hot(indices: jax.Array, size: int) -> jax.Array:
    """[..., columns] indices -> [..., size] counts. Times an embedding table it is the sum of the columns'
    embeddings; as a matrix product its gradient needs no scatter (5x faster than `nn.Embed` here)."""
    return jnp.sum(jax.nn.one_hot(indices, size, dtype=jnp.float32), axis=-2)


def pack(x: jax.Array, atom_columns: int, capacity: int) -> dict[str, jax.Array]:
    """The real atoms of a padded batch as flat lists of `capacity` rows (jraph's layout).

    Returns atom feature indices [C, atom_columns], neighbours [C, D] as rows of the flat list, bond
    indices [C, D] (0 = no bond), the molecule of each row [C] (B for unused rows) and a row mask [C].
    Atom (b, i) goes to row `offset[b] + i` in batch order; rows past the real atoms are empty.
    """
    atoms, neighbours, bonds = split_graph(x, atom_columns)
    batch, max_atoms = atoms.shape[:2]
    real = (atoms[..., 0] > 0).reshape(-1)
    (source,) = jnp.nonzero(real, size=capacity, fill_value=batch * max_atoms)
    used = source < batch * max_atoms
    source = jnp.minimum(source, batch * max_atoms - 1)
    molecule = jnp.where(used, source // max_atoms, batch)
    row_of = jnp.full(batch * max_atoms, capacity, jnp.int32).at[jnp.where(used, source, batch * max_atoms)].set(
        jnp.arange(capacity, dtype=jnp.int32), mode="drop")
    flat_neighbours = neighbours + (jnp.arange(batch) * max_atoms)[:, None, None]
    degree = neighbours.shape[-1]
    bonds = jnp.where(used[:, None], bonds.reshape(-1, degree)[source], 0)
    return {"atoms": jnp.where(used[:, None], atoms.reshape(-1, atom_columns)[source], 0),
            "neighbours": jnp.where(bonds > 0, row_of[flat_neighbours.reshape(-1, degree)[source]], capacity),
            "bonds": bonds, "molecule": molecule, "used": used}


def pool(h: jax.Array, molecule: jax.Array, used: jax.Array, batch: int, readout: str) -> jax.Array:
    """Molecule vectors [B, H] (2H for mean_max) from packed atom vectors [C, H] and their molecule ids."""
    total = jax.ops.segment_sum(h, molecule, num_segments=batch + 1)[:batch]
    count = jax.ops.segment_sum(used.astype(h.dtype), molecule, num_segments=batch + 1)[:batch, None]
    mean = total / jnp.maximum(count, 1.0)
    largest = jax.ops.segment_max(h, molecule, num_segments=batch + 1)[:batch]
    largest = jnp.where(count > 0, largest, 0.0)     # a molecule of no atoms (the zeros of init): zeros
    if readout == "mean":
        return mean
    if readout == "sum":
        return total
    if readout == "max":
        return largest
    if readout == "mean_max":
        return jnp.concatenate([mean, largest], axis=-1)
    raise ValueError(f"unknown readout {readout!r}; valid readouts: {', '.join(READOUTS)}")


class GINELayer(nn.Module):
    """One message-passing step over packed atoms [C, H], with bond features, a residual and layer norm."""

    hidden: int
    bond_vocab: int
    dropout: float = 0.0

    @nn.compact
    def __call__(self, h: jax.Array, neighbours: jax.Array, bonds: jax.Array, used: jax.Array,
                 train: bool = False) -> jax.Array:
        edge = nn.Embed(self.bond_vocab, self.hidden, name="bond_embed")(bonds)            # [C, D, H]
        padded = jnp.concatenate([h, jnp.zeros((1, h.shape[-1]), h.dtype)])              # row C: no atom
        messages = nn.relu(padded[neighbours] + edge) * (bonds > 0)[..., None]
        eps = self.param("eps", nn.initializers.zeros, ())
        z = (1.0 + eps) * h + jnp.sum(messages, axis=1)
        z = nn.Dense(self.hidden)(nn.relu(nn.LayerNorm()(nn.Dense(self.hidden)(z))))
        z = nn.Dropout(self.dropout, deterministic=not train)(nn.relu(nn.LayerNorm()(z)))
        return (h + z) * used[:, None]


class GraphModel(nn.Module):
    """What every model of `data/molgraph.py`'s layout is told about it, and how many rows it packs."""

    num_classes: int
    atoms_per_molecule: int = 48   # packed rows per molecule of a batch; a batch above it runs padded
    atom_columns: int = 8          # data.molgraph.ATOM_COLUMNS
    atom_vocab: int = 64           # >= data.molgraph.ATOM_VOCAB
    bond_vocab: int = 32           # >= data.molgraph.BOND_VOCAB


class GNN(GraphModel):
    """Molecular graph -> logits (or regression outputs): atom embeddings, `layers` GINE steps, pooling, MLP."""

    hidden: int = 128
    layers: int = 4
    dropout: float = 0.1
    readout: str = "mean_max"

    def setup(self) -> None:
        self.atom_embed = nn.Dense(self.hidden, use_bias=False)
        self.convs = [GINELayer(self.hidden, self.bond_vocab, self.dropout) for _ in range(self.layers)]
        self.head = nn.Dense(self.hidden)
        self.head_dropout = nn.Dropout(self.dropout)
        self.out = nn.Dense(self.num_classes)

    def forward(self, x: jax.Array, capacity: int, train: bool) -> jax.Array:
        """The network on the batch packed into `capacity` rows (all of its atoms must fit)."""
        graph = pack(x, self.atom_columns, capacity)
        h = self.atom_embed(multi_hot(graph["atoms"], self.atom_vocab)) * graph["used"][:, None]
        for conv in self.convs:
            h = conv(h, graph["neighbours"], graph["bonds"], graph["used"], train)
        pooled = pool(h, graph["molecule"], graph["used"], x.shape[0], self.readout)
        pooled = self.head_dropout(nn.relu(self.head(pooled)), deterministic=not train)
        return self.out(pooled)

    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        batch, max_atoms = x.shape[:2]
        full = batch * max_atoms
        capacity = min(full, batch * self.atoms_per_molecule)
        if capacity == full or self.is_initializing():
            return self.forward(x, full if capacity == full else capacity, train)
        fits = jnp.sum(x[..., 0] > 0) <= capacity
        return nn.cond(fits, lambda module, v: module.forward(v, capacity, train),
                       lambda module, v: module.forward(v, full, train), self, x)
