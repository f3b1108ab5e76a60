"""Device-resident input: a whole split lives on the device and batches are gathered inside jit.

For small data sets this removes the host from the hot loop entirely. The batch for a step is a
pure function of (data, step, key): epoch `e` uses permutation `permutation(fold_in(key, e))`, so
a run resumed at any step sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from data.dataset import DataError, Split

Arrays = dict[str, jax.Array]


def to_device(split: Split) -> Arrays:
    return {"inputs": jnp.asarray(split.inputs), "labels": jnp.asarray(split.labels)}


def batch_at(data: Arrays, step: jax.Array, batch_size: int, key: jax.Array) -> Arrays:
    """The training batch for `step`: shuffled without replacement within an epoch, remainder dropped."""
    num_examples = data["labels"].shape[0]
    steps_per_epoch = num_examples // batch_size
    epoch, within = jnp.divmod(step, steps_per_epoch)
    order = jax.random.permutation(jax.random.fold_in(key, epoch), num_examples)
    indices = lax.dynamic_slice_in_dim(order, within * batch_size, batch_size)
    return {name: jnp.take(array, indices, axis=0) for name, array in data.items()}


def check_batch_size(split: Split, batch_size: int, dataset_name: str) -> None:
    if not 0 < batch_size <= len(split):
        raise DataError(f"batch_size {batch_size} does not fit data set {dataset_name!r}, whose train split "
                        f"has {len(split)} examples; choose --config.batch_size between 1 and {len(split)}")


def eval_batches(split: Split, batch_size: int) -> Arrays:
    """The split padded to whole batches, shaped [num_batches, batch, ...], with a mask over real examples."""
    batch_size = min(batch_size, len(split))
    num_batches = math.ceil(len(split) / batch_size)
    pad = num_batches * batch_size - len(split)

    def padded(array: np.ndarray) -> jax.Array:
        array = np.concatenate([array, np.zeros((pad, *array.shape[1:]), array.dtype)])
        return jnp.asarray(array.reshape(num_batches, batch_size, *array.shape[1:]))

    mask = np.ones(len(split), bool)
    return {"inputs": padded(split.inputs), "labels": padded(split.labels), "mask": padded(mask)}
