"""nn.GRUCell's parameters as three matrices, and the GRU over a whole sequence as one `lax.scan`.

The fused oneDNN GRU (`kernels.gru`) takes the cell's weights concatenated by gate; declaring them
here exactly as `nn.GRUCell` does (same names, shapes, initialisers, module path) lets the fused and
the flax-cell paths start from the same values and read each other's checkpoints.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from models.lstm import DenseParams

GATES = "zrn"  # oneDNN's order for a linear-before-reset GRU: update, reset, candidate


class GRUWeights(nn.Module):
    """nn.GRUCell's parameters (iz, ir, in with bias; hz, hr without; hn with) as W_ih [in, 3H],
    W_hh [H, 3H] in gate order (z, r, n) and b [4H] = (b_iz, b_ir, b_in, b_hn). Give it the name the
    cell would have."""

    hidden: int

    @nn.compact
    def __call__(self, in_features: int) -> tuple[jax.Array, jax.Array, jax.Array]:
        input_init, recurrent_init = nn.initializers.lecun_normal(), nn.initializers.orthogonal()
        w_ih, w_hh, bias = [], [], []
        for gate in GATES:
            kernel, b = DenseParams(in_features, self.hidden, True, input_init, name=f"i{gate}")()
            w_ih.append(kernel)
            bias.append(b)
        for gate in GATES:
            kernel, b = DenseParams(self.hidden, self.hidden, gate == "n", recurrent_init, name=f"h{gate}")()
            w_hh.append(kernel)
        return jnp.concatenate(w_ih, 1), jnp.concatenate(w_hh, 1), jnp.concatenate([*bias, b])


def gru_sequence(x: jax.Array, h0: jax.Array, w_ih: jax.Array, w_hh: jax.Array,
                 bias: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x [B, T, C] from h0 [B, H] through nn.GRUCell's math: (outputs [B, T, H], final h)."""
    hidden = h0.shape[-1]
    zx = jnp.einsum("btd,dk->tbk", x, w_ih) + bias[:3 * hidden]

    def step(h, zx_t):
        zh = h @ w_hh
        z = jax.nn.sigmoid(zx_t[:, :hidden] + zh[:, :hidden])
        r = jax.nn.sigmoid(zx_t[:, hidden:2 * hidden] + zh[:, hidden:2 * hidden])
        n = jnp.tanh(zx_t[:, 2 * hidden:] + r * (zh[:, 2 * hidden:] + bias[3 * hidden:]))
        h = (1.0 - z) * n + z * h
        return h, h

    h, outputs = lax.scan(step, h0, zx)
    return outputs.swapaxes(0, 1), h
