"""The order in which training examples are visited: one seeded permutation per epoch.

Both input paths use it: the device-resident path computes it inside jit (jax.numpy), the grain
path on the host (numpy). The permutation is built only from uint32 arithmetic and a stable sort,
which give bit-identical results in both, so the two paths yield the same batches for the same seed,
and the batch for any step is a pure function of (seed, step): resuming at step k needs no state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_M1, _M2, _GOLDEN = 0x7FEB352D, 0x846CA68B, 0x9E3779B9


def _mix(xp: Any, x: Any) -> Any:
    """A 32-bit integer hash (lowbias32): every output bit depends on every input bit."""
    x = x ^ (x >> 16)
    x = x * xp.uint32(_M1)
    x = x ^ (x >> 15)
    x = x * xp.uint32(_M2)
    return x ^ (x >> 16)


def epoch_permutation(xp: Any, seed: Any, epoch: Any, num_examples: int) -> Any:
    """Indices 0..n-1 in the order epoch `epoch` visits them; `xp` is numpy or jax.numpy."""
    if xp is np:
        with np.errstate(over="ignore"):  # uint32 wrap-around is the point
            return np.argsort(_scores(np, seed, epoch, num_examples), kind="stable").astype(np.int32)
    return xp.argsort(_scores(xp, seed, epoch, num_examples), stable=True).astype(xp.int32)


def _scores(xp: Any, seed: Any, epoch: Any, num_examples: int) -> Any:
    epoch_key = xp.asarray(epoch).astype(xp.uint32) * xp.uint32(_GOLDEN)
    key = _mix(xp, _mix(xp, xp.asarray(seed).astype(xp.uint32)) ^ epoch_key)
    return _mix(xp, xp.arange(num_examples, dtype=xp.uint32) + key)


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
    """Whole batches per epoch: the remainder of each epoch's permutation is dropped."""
    return num_examples // batch_size


def batch_indices(seed: int, step: int, num_examples: int, batch_size: int) -> np.ndarray:
    """Host-side indices of the training batch for `step` (the grain path and tests)."""
    epoch, within = divmod(step, steps_per_epoch(num_examples, batch_size))
    order = epoch_permutation(np, seed, epoch, num_examples)
    return order[within * batch_size:(within + 1) * batch_size]


def stream_order(num_examples: int, batch_size: int) -> np.ndarray:
    """The visiting order that makes consecutive steps continue each other (a recurrent state carried across steps).

    Rows are consecutive segments of one text. With S = num_examples // batch_size steps per epoch,
    batch row b reads rows b*S, b*S+1, ..., b*S+S-1 at steps 0..S-1: `batch_size` streams, each a
    contiguous stretch of the text. Rows past S*batch_size (fewer than batch_size) are not visited.
    """
    steps = num_examples // batch_size
    visited = np.arange(steps * batch_size, dtype=np.int32).reshape(batch_size, steps).T.reshape(-1)
    return np.concatenate([visited, np.arange(steps * batch_size, num_examples, dtype=np.int32)])
