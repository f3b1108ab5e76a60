"""A whole-sequence LSTM layer with a hand-written backward pass: the fast pure-JAX path.

`nn.RNN(nn.LSTMCell)` runs eight small matrix products per time step inside an XLA `while` loop and
lets autodiff build the backward loop. Here the input projection of every step is one matrix product
before the loop (for a language model's first layer, a gathered row of the table `E @ W_ih + b`),
each step does one [B, H] x [H, 4H] product, the four gate activations are one expression over all
4H columns (`tanh(x) = 2 sigmoid(2x) - 1`), the forward loop stores the activated gates, and the
backward loop produces the gates' gradients; the recurrent weight gradient is then one matrix
product over all steps. On 2 CPU cores this measured 0.93x PyTorch's fused oneDNN LSTM against
0.57x for the flax cell (shakespeare_lstm, benchmarks/RESULTS.md).

Parameters are declared exactly as `nn.LSTMCell` declares them (the same names, shapes and
initialisers under the same module path), so both paths start from the same values and read each
other's checkpoints; the math is the same, only the rounding order differs.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Carry = tuple[jax.Array, jax.Array]  # (c, h), as nn.LSTMCell


def _gate_scale(hidden: int, dtype: Any) -> jax.Array:
    """2 on the cell-input block g (whose activation is tanh), 1 on the sigmoid gates i, f, o."""
    return jnp.concatenate([jnp.ones(2 * hidden, dtype), jnp.full(hidden, 2, dtype), jnp.ones(hidden, dtype)])


def _activate(z: jax.Array, scale: jax.Array) -> jax.Array:
    """sigmoid on the i, f, o blocks and tanh on g, as one expression: s * sigmoid(s z) - (s - 1)."""
    return scale * jax.nn.sigmoid(scale * z) - (scale - 1)


def _forward(zx: jax.Array, w_hh: jax.Array, carry: Carry):
    """zx [T, B, 4H] (input projection plus bias) -> outputs [T, B, H], final carry, and the residuals."""
    hidden = w_hh.shape[0]
    scale = _gate_scale(hidden, zx.dtype)

    def step(state, z_input):
        c, h = state
        gates = _activate(z_input + h @ w_hh, scale)
        i, f, g, o = jnp.split(gates, 4, axis=-1)
        c = f * c + i * g
        tanh_c = jnp.tanh(c)
        h_new = o * tanh_c
        return (c, h_new), (h_new, gates, tanh_c, c, h)

    final, (outputs, gates, tanh_c, cells, h_prev) = jax.lax.scan(step, carry, zx)
    return outputs, final, (gates, tanh_c, cells, h_prev)


@jax.custom_vjp
def lstm_sequence(zx: jax.Array, w_hh: jax.Array, carry: Carry) -> tuple[jax.Array, Carry]:
    """Runs an LSTM over time-major pre-activations `zx` [T, B, 4H] (gates in flax's order i, f, g, o)
    with recurrent kernel `w_hh` [H, 4H] from `carry` (c, h); returns (outputs [T, B, H], final carry)."""
    outputs, final, _ = _forward(zx, w_hh, carry)
    return outputs, final


def _lstm_fwd(zx, w_hh, carry):
    outputs, final, (gates, tanh_c, cells, h_prev) = _forward(zx, w_hh, carry)
    return (outputs, final), (w_hh, carry[0], gates, tanh_c, cells, h_prev)


def _lstm_bwd(residuals, cotangents):
    w_hh, c0, gates, tanh_c, cells, h_prev = residuals
    d_outputs, (d_c_final, d_h_final) = cotangents
    c_prev = jnp.concatenate([c0[None], cells[:-1]])
    w_hh_t = w_hh.T

    def step(state, xs):
        dc, dh = state
        d_out, gate, tc, cp = xs
        i, f, g, o = jnp.split(gate, 4, axis=-1)
        dh = dh + d_out
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        dz = jnp.concatenate([dc * g * i * (1 - i), dc * cp * f * (1 - f), dc * i * (1 - g * g),
                              do * o * (1 - o)], axis=-1)
        return (dc * f, dz @ w_hh_t), dz

    (dc0, dh0), dz = jax.lax.scan(step, (d_c_final, d_h_final), (d_outputs, gates, tanh_c, c_prev), reverse=True)
    hidden = w_hh.shape[0]
    d_w_hh = h_prev.reshape(-1, hidden).T @ dz.reshape(-1, 4 * hidden)
    return dz, d_w_hh, (dc0, dh0)


lstm_sequence.defvjp(_lstm_fwd, _lstm_bwd)


@jax.custom_vjp
def gather_rows(table: jax.Array, ids: jax.Array) -> jax.Array:
    """table[ids], whose gradient is one matrix product `one_hot(ids)^T @ g` instead of a scatter-add
    (XLA:CPU's scatter is slow; the table is a vocabulary of tens to hundreds of rows)."""
    return jnp.take(table, ids, axis=0)


def _gather_fwd(table, ids):
    return jnp.take(table, ids, axis=0), (ids, table.shape[0])


def _gather_bwd(residuals, g):
    ids, rows = residuals
    flat_ids = ids.reshape(-1)
    one_hot = jax.nn.one_hot(flat_ids, rows, dtype=g.dtype)
    return one_hot.T @ g.reshape(flat_ids.shape[0], -1), None


gather_rows.defvjp(_gather_fwd, _gather_bwd)


class DenseParams(nn.Module):
    """One of a flax cell's `Dense` layers, declared but not applied: returns (kernel, bias or None)."""

    in_features: int
    features: int
    use_bias: bool
    kernel_init: Any

    @nn.compact
    def __call__(self) -> tuple[jax.Array, jax.Array | None]:
        kernel = self.param("kernel", self.kernel_init, (self.in_features, self.features), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros_init(), (self.features,), jnp.float32) if self.use_bias else None
        return kernel, bias


class LSTMWeights(nn.Module):
    """nn.LSTMCell's parameters (ii, if, ig, io without bias; hi, hf, hg, ho with bias), concatenated
    in gate order into W_ih [in, 4H], W_hh [H, 4H] and b [4H]. Give it the name the cell would have."""

    hidden: int

    @nn.compact
    def __call__(self, in_features: int) -> tuple[jax.Array, jax.Array, jax.Array]:
        input_init, recurrent_init = nn.initializers.lecun_normal(), nn.initializers.orthogonal()
        w_ih, w_hh, bias = [], [], []
        for gate in "ifgo":
            w_ih.append(DenseParams(in_features, self.hidden, False, input_init, name=f"i{gate}")()[0])
        for gate in "ifgo":
            kernel, b = DenseParams(self.hidden, self.hidden, True, recurrent_init, name=f"h{gate}")()
            w_hh.append(kernel)
            bias.append(b)
        return jnp.concatenate(w_ih, 1), jnp.concatenate(w_hh, 1), jnp.concatenate(bias)
