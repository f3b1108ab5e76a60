"""A whole-sequence LSTM layer whose CPU lowering is oneDNN's fused recurrent kernel (forward and
backward, the time loop inside oneDNN), and whose lowering elsewhere is the pure-JAX sequence layer
of models/lstm.py. PyTorch's `nn.LSTM` runs the same oneDNN kernel on CPU.

The gates are flax's (i, f, g, o, one bias): oneDNN's LSTM takes W_ih [C, 4H] and W_hh [H, 4H] in
exactly that order, so the parameters are `models.lstm.LSTMWeights` unchanged.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

import kernels
from kernels.recurrent import platform_vjp
from models.lstm import lstm_sequence

Carry = tuple[jax.Array, jax.Array]  # (c, h), as nn.LSTMCell


def _lax_lstm(x, c0, h0, w_ih, w_hh, bias):
    outputs, (c, h) = lstm_sequence(jnp.einsum("btd,dk->tbk", x, w_ih) + bias, w_hh, (c0, h0))
    return outputs.swapaxes(0, 1), h, c


def _workspace(x, w_hh) -> jax.ShapeDtypeStruct:
    (batch, steps, features), hidden = x.shape, w_hh.shape[0]
    return jax.ShapeDtypeStruct((kernels.workspace_bytes("lstm", steps, batch, features, hidden),), jnp.uint8)


def _onednn_forward(x, c0, h0, w_ih, w_hh, bias):
    batch, steps, _ = x.shape
    hidden = w_hh.shape[0]
    f32 = functools.partial(jax.ShapeDtypeStruct, dtype=jnp.float32)
    outputs, h, c, workspace = jax.ffi.ffi_call(
        "layerwise_lstm_forward", (f32((batch, steps, hidden)), f32((batch, hidden)), f32((batch, hidden)),
                                   _workspace(x, w_hh)), vmap_method="sequential")(x, h0, c0, w_ih, w_hh, bias)
    return outputs, h, c, workspace


def _lax_forward(x, c0, h0, w_ih, w_hh, bias):
    workspace = _workspace(x, w_hh)
    return (*_lax_lstm(x, c0, h0, w_ih, w_hh, bias), jnp.zeros(workspace.shape, workspace.dtype))


def _onednn_backward(inputs, results, cotangents):
    x, c0, h0, w_ih, w_hh, bias = inputs
    outputs, h, c, workspace = results
    d_outputs, dh, dc = cotangents
    shapes = [jax.ShapeDtypeStruct(a.shape, jnp.float32) for a in (x, h0, c0, w_ih, w_hh, bias)]
    dx, dh0, dc0, dw_ih, dw_hh, dbias = jax.ffi.ffi_call("layerwise_lstm_backward", shapes, vmap_method="sequential")(
        x, h0, c0, w_ih, w_hh, bias, outputs, h, c, d_outputs, dh, dc, workspace)
    return dx, dc0, dh0, dw_ih, dw_hh, dbias


def _lax_backward(inputs, results, cotangents):
    return jax.vjp(_lax_lstm, *inputs)[1](cotangents)


_lstm = platform_vjp(_onednn_forward, _lax_forward, _onednn_backward, _lax_backward, num_outputs=3)


def lstm(x: jax.Array, w_ih: jax.Array, w_hh: jax.Array, bias: jax.Array, carry: Carry) -> tuple[jax.Array, Carry]:
    """float32 x [B, T, C] through an LSTM from `carry` (c, h): (outputs [B, T, H], final (c, h))."""
    outputs, h, c = _lstm(x, carry[0], carry[1], w_ih, w_hh, bias)
    return outputs, (c, h)
