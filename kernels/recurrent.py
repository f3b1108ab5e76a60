"""The custom VJP both fused recurrent layers (`kernels.lstm`, `kernels.gru`) share: oneDNN's
forward and backward calls on CPU, a pure-JAX layer and its autodiff everywhere else. The forward
pass keeps all its results (outputs, final state, oneDNN's workspace) for the backward pass."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax import lax


def platform_vjp(onednn_forward: Callable, lax_forward: Callable, onednn_backward: Callable,
                 lax_backward: Callable, num_outputs: int) -> Callable:
    """A function of the layer's inputs returning the first `num_outputs` of the forward results;
    `*_forward(*inputs)` return every result, `*_backward(inputs, results, cotangents)` the inputs'
    cotangents."""

    @jax.custom_vjp
    def layer(*inputs):
        return lax.platform_dependent(*inputs, cpu=onednn_forward, default=lax_forward)[:num_outputs]

    def forward(*inputs):
        results = lax.platform_dependent(*inputs, cpu=onednn_forward, default=lax_forward)
        return results[:num_outputs], (inputs, results)

    def backward(residuals, cotangents):
        inputs, results = residuals
        cotangents = tuple(jnp.asarray(g, jnp.float32) for g in cotangents)  # symbolic zeros become arrays
        return lax.platform_dependent(inputs, results, cotangents, cpu=onednn_backward, default=lax_backward)

    layer.defvjp(forward, backward)
    return layer
