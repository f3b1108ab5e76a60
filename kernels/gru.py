"""A whole-sequence GRU layer whose CPU lowering is oneDNN's fused linear-before-reset GRU (forward
and backward, the time loop inside oneDNN), and whose lowering elsewhere is a `lax.scan` of the same
cell (`models.gru.gru_sequence`). PyTorch's `nn.GRU` is the same cell.

flax's `nn.GRUCell` applies the reset gate to `W_hn h + b_hn`, which is oneDNN's linear-before-reset
variant, so the parameters are `models.gru.GRUWeights` unchanged.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

import kernels
from kernels.recurrent import platform_vjp
from models.gru import gru_sequence


def _workspace(x, w_hh) -> jax.ShapeDtypeStruct:
    (batch, steps, features), hidden = x.shape, w_hh.shape[0]
    return jax.ShapeDtypeStruct((kernels.workspace_bytes("gru", steps, batch, features, hidden),), jnp.uint8)


def _onednn_forward(x, h0, w_ih, w_hh, bias):
    batch, steps, _ = x.shape
    hidden = w_hh.shape[0]
    f32 = functools.partial(jax.ShapeDtypeStruct, dtype=jnp.float32)
    return jax.ffi.ffi_call("layerwise_gru_forward", (f32((batch, steps, hidden)), f32((batch, hidden)),
                                                      _workspace(x, w_hh)), vmap_method="sequential")(
        x, h0, w_ih, w_hh, bias)


def _lax_forward(x, h0, w_ih, w_hh, bias):
    workspace = _workspace(x, w_hh)
    return (*gru_sequence(x, h0, w_ih, w_hh, bias), jnp.zeros(workspace.shape, workspace.dtype))


def _onednn_backward(inputs, results, cotangents):
    x, h0, w_ih, w_hh, bias = inputs
    outputs, h, workspace = results
    d_outputs, dh = cotangents
    shapes = [jax.ShapeDtypeStruct(a.shape, jnp.float32) for a in inputs]
    return tuple(jax.ffi.ffi_call("layerwise_gru_backward", shapes, vmap_method="sequential")(
        x, h0, w_ih, w_hh, bias, outputs, h, d_outputs, dh, workspace))


def _lax_backward(inputs, results, cotangents):
    return jax.vjp(gru_sequence, *inputs)[1](cotangents)


_gru = platform_vjp(_onednn_forward, _lax_forward, _onednn_backward, _lax_backward, num_outputs=2)


def gru(x: jax.Array, w_ih: jax.Array, w_hh: jax.Array, bias: jax.Array, h0: jax.Array) -> tuple[jax.Array, jax.Array]:
    """float32 x [B, T, C] through a GRU (`models.gru.GRUWeights`) from h0 [B, H]: (outputs [B, T, H], final h)."""
    return _gru(x, h0, w_ih, w_hh, bias)
