"""A directed message-passing network (D-MPNN) on molecular graphs: hidden states live on directed bonds.

Yang et al., "Analyzing learned molecular representations for property prediction", J. Chem. Inf.
Model. 59:3370, 2019 (chemprop's `BondMessagePassing`). With x_v the atom's features and e_vw the bond's:

    h_vw(0) = relu(W_i [x_v, e_vw])                           one state per directed bond v -> w
    m_vw    = sum over u in N(v) \\ {w} of h_uv                what v heard, minus what w told it
    h_vw    <- relu(h_vw(0) + W_h m_vw)                        depth - 1 times, W_h shared
    h_v     = relu(W_o [x_v, sum over u in N(v) of h_uv])      back to atoms
    molecule = readout over atoms, then a 2-layer feed-forward head

Leaving out the reverse bond keeps a message from echoing straight back to where it came from (the
"totters" of a random walk), which atom-centred message passing such as GINE cannot avoid.

**Layout.** The input is the padded integer layout of `data/molgraph.py`. The real atoms of the batch
are packed into one flat list as in `models.gnn.pack`, and the real directed bonds into a second flat
list of `edges_per_molecule * batch` rows, each knowing its source atom, target atom and the row of
its reverse bond. The bond-state matrix products then run on real bonds only (B3DB's atoms have 2.2
bonds on average against up to 6 neighbour slots). A batch whose atoms or bonds do not fit takes the
same computation at the full padded size (`nn.cond`), so every input gives the exact result.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.gnn import GraphModel, multi_hot, pack, pool


def pack_edges(neighbours: jax.Array, bonds: jax.Array, capacity: int) -> dict[str, jax.Array]:
    """The directed bonds of packed atoms (neighbours/bonds [C, D]) as flat lists of `capacity` rows.

    Row e is the bond source[e] -> target[e] with bond feature index bond[e]; reverse[e] is the row of
    target[e] -> source[e]. Unused rows have source = target = C (no atom), bond 0 and reverse = capacity.
    """
    atoms, degree = neighbours.shape
    slots = atoms * degree
    (slot,) = jnp.nonzero((bonds > 0).reshape(-1), size=capacity, fill_value=slots)
    used = slot < slots
    slot = jnp.minimum(slot, slots - 1)
    source = jnp.where(used, slot // degree, atoms)
    target = jnp.where(used, neighbours.reshape(-1)[slot], atoms)
    edge_of_slot = jnp.full(slots, capacity, jnp.int32).at[jnp.where(used, slot, slots)].set(
        jnp.arange(capacity, dtype=jnp.int32), mode="drop")
    padded_neighbours = jnp.concatenate([neighbours, jnp.full((1, degree), atoms, neighbours.dtype)])
    padded_bonds = jnp.concatenate([bonds, jnp.zeros((1, degree), bonds.dtype)])
    back = (padded_neighbours[target] == source[:, None]) & (padded_bonds[target] > 0)     # [E, D]
    back_slot = jnp.minimum(target, atoms - 1) * degree + jnp.argmax(back, axis=1)
    return {"source": source, "target": target, "bond": jnp.where(used, bonds.reshape(-1)[slot], 0),
            "reverse": jnp.where(used, edge_of_slot[back_slot], capacity), "used": used}


class DMPNN(GraphModel):
    """Molecular graph -> logits (or regression outputs) by directed bond messages (chemprop's design)."""

    hidden: int = 300
    depth: int = 3
    dropout: float = 0.0
    readout: str = "mean"
    edges_per_molecule: int = 112  # packed directed-bond rows per molecule; a batch above this or
    #                                `atoms_per_molecule` runs padded

    def setup(self) -> None:
        self.atom_input = nn.Dense(self.hidden, use_bias=False)      # W_i, the atom part
        self.bond_input = nn.Embed(self.bond_vocab, self.hidden)     # W_i, the bond part
        self.message = nn.Dense(self.hidden, use_bias=False)         # W_h
        self.atom_output = nn.Dense(self.hidden)                     # W_o
        self.head = nn.Dense(self.hidden)
        self.out = nn.Dense(self.num_classes)
        self.drop = nn.Dropout(self.dropout)

    def forward(self, x: jax.Array, atom_capacity: int, edge_capacity: int, train: bool) -> jax.Array:
        """The network on the batch packed into the given rows (all of its atoms and bonds must fit)."""
        graph = pack(x, self.atom_columns, atom_capacity)
        edges = pack_edges(graph["neighbours"], graph["bonds"], edge_capacity)
        atoms = multi_hot(graph["atoms"], self.atom_vocab)                       # [C, V]
        atom_part = jnp.concatenate([self.atom_input(atoms), jnp.zeros((1, self.hidden))])
        h0 = (atom_part[edges["source"]] + self.bond_input(edges["bond"])) * edges["used"][:, None]
        h = nn.relu(h0)
        for _ in range(self.depth - 1):
            incoming = jax.ops.segment_sum(h, edges["target"], num_segments=atom_capacity + 1)
            reverse = jnp.concatenate([h, jnp.zeros((1, self.hidden))])[edges["reverse"]]
            h = nn.relu(h0 + self.message(incoming[edges["source"]] - reverse)) * edges["used"][:, None]
            h = self.drop(h, deterministic=not train)
        incoming = jax.ops.segment_sum(h, edges["target"], num_segments=atom_capacity + 1)[:atom_capacity]
        v = nn.relu(self.atom_output(jnp.concatenate([atoms, incoming], axis=-1))) * graph["used"][:, None]
        v = self.drop(v, deterministic=not train)
        pooled = pool(v, graph["molecule"], graph["used"], x.shape[0], self.readout)
        pooled = self.drop(nn.relu(self.head(pooled)), deterministic=not train)
        return self.out(pooled)

    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        batch, max_atoms = x.shape[:2]
        degree = (x.shape[-1] - self.atom_columns) // 2
        full_atoms, full_edges = batch * max_atoms, batch * max_atoms * degree
        atom_capacity = min(full_atoms, batch * self.atoms_per_molecule)
        edge_capacity = min(full_edges, batch * self.edges_per_molecule)
        if (atom_capacity, edge_capacity) == (full_atoms, full_edges) or self.is_initializing():
            return self.forward(x, full_atoms, full_edges, train)
        xi = x.astype(jnp.int32)
        fits = (jnp.sum(xi[..., 0] > 0) <= atom_capacity) & \
            (jnp.sum(xi[..., self.atom_columns + degree:] > 0) <= edge_capacity)
        return nn.cond(fits, lambda module, v: module.forward(v, atom_capacity, edge_capacity, train),
                       lambda module, v: module.forward(v, full_atoms, full_edges, train), self, x)
