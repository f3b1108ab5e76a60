"""Which outputs of a network are its layers: marked in the model, read by `analysis`.

A model calls `tap(self, "conv1", x)` where the output of one of its layers (after the
nonlinearity, where it has one) is `x`, and `tap_steps(self, "rnn1", states)` for a recurrent
layer's states over time whose step t has read inputs 0..t only. Both are flax `sow` calls into
their own collections; `sow` does nothing unless the caller made that collection mutable, so
training (which never does) is unchanged, while `model.apply(..., mutable=[LAYERS, STEPS])` returns
every tap (`init` records none, so variables hold only parameters and statistics). Taps mark points
that are not a module's own output (a ReLU after a convolution, a pooled map), which
`capture_intermediates` alone cannot see.

Collections come back from a traced `apply` with their keys reordered, so `recording()` lists the
taps in the order the network calls them, for tools that draw layers from input to output.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import flax.linen as nn
import jax

LAYERS = "layers"   # one array per example: a vector [B, F], a 1-D map [B, T, C] or a 2-D map [B, H, W, C]
STEPS = "steps"     # causal states over time [B, T, F]: a language model's per-token features, a classifier's
                    # states along the sequence

_order: contextvars.ContextVar[list[tuple[str, tuple[str, ...]]] | None] = contextvars.ContextVar(
    "taps_order", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[str, tuple[str, ...]]]]:
    """Within the block, every tap appends (collection, module path + name) to the yielded list, in call order."""
    order: list[tuple[str, tuple[str, ...]]] = []
    token = _order.set(order)
    try:
        yield order
    finally:
        _order.reset(token)


def _sow(module: nn.Module, collection: str, name: str, x: jax.Array) -> jax.Array:
    if module.is_initializing():  # init makes every collection mutable; taps belong to apply only
        return x
    if module.sow(collection, name, x):
        order = _order.get()
        if order is not None:
            order.append((collection, (*module.path, name)))
    return x


def tap(module: nn.Module, name: str, x: jax.Array) -> jax.Array:
    """Marks `x` as the layer `name` of `module`'s network; returns `x` unchanged."""
    return _sow(module, LAYERS, name, x)


def tap_steps(module: nn.Module, name: str, x: jax.Array) -> jax.Array:
    """Marks `x` [batch, time, features] as the states of layer `name` along time; returns `x` unchanged."""
    return _sow(module, STEPS, name, x)
