"""Every tapped layer of a network on a set of examples: one jitted, batched forward pass per purpose.

The model marks its layers (`models.taps`); applying it with those collections mutable returns
them in call order. Maps are reduced on the device before anything reaches the host: each 2-D map
[B, H, W, C] (and 1-D map [B, T, C]) becomes its global average [B, C] (`gap`), a coarse grid of
averages [B, cells, C] (`grid`) and its spatial maximum per channel (`max`, for top-activating
inputs), so a probe set of 10,000 images never holds a full 28x28x32 map per example. Batches have
one fixed size (the last one padded), so each purpose compiles once and serves the trained and the
initial network alike (the variables are an argument).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from models import taps
from models.taps import LAYERS, STEPS

Arrays = dict[str, np.ndarray]


def short_names(paths: list[tuple[str, ...]]) -> list[str]:
    """A tap's name is the last component of its path where that is unique, else the whole path joined by '/'."""
    last = [p[-1] for p in paths]
    return [p[-1] if last.count(p[-1]) == 1 else "/".join(p) for p in paths]


def flatten_taps(tree: Any) -> dict[str, jax.Array]:
    """A sown collection {module: {name: (value,)}} as {name: value} (`short_names`)."""
    paths: list[tuple[str, ...]] = []
    values: list[jax.Array] = []

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        for key, value in node.items():
            if isinstance(value, tuple):
                paths.append((*prefix, key))
                values.append(value[0])
            else:
                walk(value, (*prefix, key))

    walk(tree, ())
    return dict(zip(short_names(paths), values))


def _averaging(size: int, cells: int) -> jax.Array:
    """[cells, size]: row i averages the i-th of `cells` nearly equal segments of 0..size-1."""
    bounds = np.linspace(0, size, min(cells, size) + 1).round().astype(int)
    matrix = np.zeros((len(bounds) - 1, size), np.float32)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        matrix[i, lo:hi] = 1.0 / (hi - lo)
    return jnp.asarray(matrix)


def grid(x: jax.Array, cells: int) -> jax.Array:
    """Average pooling of a map to `cells` x `cells` regions (2-D) or `cells`^2 segments (1-D), flattened."""
    x = x.astype(jnp.float32)
    if x.ndim == 4:
        pooled = jnp.einsum("bhwc,ih,jw->bijc", x, _averaging(x.shape[1], cells), _averaging(x.shape[2], cells))
    elif x.ndim == 3:
        pooled = jnp.einsum("btc,it->bic", x, _averaging(x.shape[1], cells * cells))
    else:
        raise ValueError(f"grid pooling takes a map [B, ..., C] of rank 3 or 4, got shape {x.shape}")
    return pooled.reshape(x.shape[0], -1)


def views(x: jax.Array, cells: int) -> dict[str, jax.Array]:
    """What probes and pictures read of one layer: a vector as it is; a map as gap, grid and max."""
    if x.ndim == 2:
        return {"vector": x.astype(jnp.float32)}
    x = x.astype(jnp.float32)
    spatial = tuple(range(1, x.ndim - 1))
    return {"gap": x.mean(spatial), "grid": grid(x, cells), "max": x.max(spatial)}


def make_forward(model: Any, accepts_lengths: bool) -> Callable:
    """(variables, inputs, lengths) -> (outputs, {layer: array}, {layer: states [B, T, F]}) in eval mode.

    The dicts' key order is not the call order; `tap_shapes` gives that."""
    def forward(variables, inputs, lengths):
        extra = {"lengths": lengths} if accepts_lengths else {}
        outputs, taps = model.apply(variables, inputs, train=False, mutable=[LAYERS, STEPS], **extra)
        return outputs, flatten_taps(taps.get(LAYERS, {})), flatten_taps(taps.get(STEPS, {}))
    return forward


def tap_shapes(forward: Callable, variables: Any, inputs: np.ndarray, lengths: np.ndarray | None
               ) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """({layer: shape per example}, {layer: shape per step}) in the order the network calls them (nothing computed)."""
    batch = [jax.ShapeDtypeStruct((1, *inputs.shape[1:]), inputs.dtype),
             None if lengths is None else jax.ShapeDtypeStruct((1,), lengths.dtype)]
    with taps.recording() as order:
        _, layers, steps = jax.eval_shape(forward, variables, *batch)
    shapes = []
    for collection, found, per in ((LAYERS, layers, 1), (STEPS, steps, 2)):
        names = short_names([path for c, path in order if c == collection])
        shapes.append({name: tuple(found[name].shape[per:]) for name in names})
    return shapes[0], shapes[1]


def batched(fn: Callable, variables: Any, arrays: Arrays, batch_size: int) -> Arrays:
    """`fn(variables, batch)` over `arrays` (every value [N, ...]) in fixed-size batches, results concatenated
    on the host with the padding rows dropped."""
    count = len(next(iter(arrays.values())))
    pieces: list[dict[str, np.ndarray]] = []
    for start in range(0, count, batch_size):
        batch = {}
        for key, value in arrays.items():
            part = value[start:start + batch_size]
            if len(part) < batch_size:  # pad with copies of the first row: valid inputs, dropped below
                part = np.concatenate([part, np.repeat(part[:1], batch_size - len(part), 0)])
            batch[key] = part
        out = jax.device_get(fn(variables, batch))
        pieces.append({k: v[:min(batch_size, count - start)] for k, v in out.items()})
    return {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
