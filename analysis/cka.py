"""Linear CKA (Kornblith, Norouzi, Lee and Hinton, "Similarity of Neural Network Representations Revisited", 2019).

For representations X [n, p] and Y [n, q] of the same n examples, with K = X X^T and L = Y Y^T
centred (H K H, H = I - 11^T/n):

    CKA(X, Y) = <K_c, L_c>_F / (|K_c|_F |L_c|_F)  =  |Y_c^T X_c|_F^2 / (|X_c^T X_c|_F |Y_c^T Y_c|_F)

It is 1 for X against itself, unchanged by an orthogonal transform or an isotropic scaling of
either side, and not by an arbitrary invertible linear map: what it compares is the geometry of
the examples in each space. Working from the n x n Gram matrices makes layers of any width
comparable at the cost of n^2 per layer; each Gram is normalised once, so a table of every pair of
layers is one matrix product of the stacked, flattened Grams.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


@jax.jit
def centred_gram(x: jax.Array) -> jax.Array:
    """H (X X^T) H / |H X X^T H|_F for X [n, ...] (flattened per example), computed in float32."""
    x = x.reshape(x.shape[0], -1).astype(jnp.float32)
    x = x - x.mean(axis=0, keepdims=True)   # centring the columns of X centres its Gram on both sides
    gram = x @ x.T
    norm = jnp.sqrt(jnp.sum(gram * gram))
    return gram / jnp.where(norm > 0, norm, 1.0)


def cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA between two representations of the same examples (rows)."""
    if len(x) != len(y):
        raise ValueError(f"CKA compares the same examples: {len(x)} rows against {len(y)}")
    return float(jnp.sum(centred_gram(jnp.asarray(x)) * centred_gram(jnp.asarray(y))))


def matrix(grams_a: list[jax.Array], grams_b: list[jax.Array] | None = None) -> np.ndarray:
    """CKA of every Gram of `grams_a` (from `centred_gram`) against every one of `grams_b` (default: `grams_a`)."""
    a = jnp.stack([g.reshape(-1) for g in grams_a])
    b = a if grams_b is None else jnp.stack([g.reshape(-1) for g in grams_b])
    return np.clip(np.asarray(a @ b.T, dtype=np.float64), -1.0, 1.0)
