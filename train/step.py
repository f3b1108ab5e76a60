"""The pure pieces of training: state, loss, one train step and one eval step.

Everything here is a function of its arguments only, so it can be jitted, scanned, sharded and
tested in isolation. Randomness (dropout) comes from a key stored in the state and folded with
the step number, so a resumed run draws exactly the keys an uninterrupted one would.
"""

from __future__ import annotations

from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

Batch = dict[str, jax.Array]
Metrics = dict[str, jax.Array]


class TrainState(train_state.TrainState):
    """flax's TrainState plus batch-norm statistics and the dropout key."""

    batch_stats: Any = flax.core.FrozenDict()
    dropout_key: jax.Array | None = None


def create_state(model: nn.Module, tx: optax.GradientTransformation, input_shape: tuple[int, ...],
                 key: jax.Array) -> TrainState:
    """Initialises parameters from `key` with a batch of one zero example."""
    init_key, dropout_key = jax.random.split(key)
    variables = model.init({"params": init_key}, jnp.zeros((1, *input_shape), jnp.float32), train=False)
    return TrainState.create(apply_fn=model.apply, params=variables["params"], tx=tx,
                             batch_stats=variables.get("batch_stats", flax.core.FrozenDict()),
                             dropout_key=dropout_key)


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Per-example softmax cross-entropy on integer labels (the sparse form), computed in f32."""
    return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), labels)


def _apply(state: TrainState, params: Any, inputs: jax.Array, train: bool, key: jax.Array | None):
    variables = {"params": params}
    if state.batch_stats:
        variables["batch_stats"] = state.batch_stats
    rngs = {"dropout": key} if key is not None else None
    if train and state.batch_stats:
        logits, updates = state.apply_fn(variables, inputs, train=True, rngs=rngs, mutable=["batch_stats"])
        return logits, updates["batch_stats"]
    return state.apply_fn(variables, inputs, train=train, rngs=rngs), state.batch_stats


def train_step(state: TrainState, batch: Batch) -> tuple[TrainState, Metrics]:
    """One optimiser update on `batch` = {'inputs', 'labels'}; returns the new state and metrics.

    Metrics are sums over the batch (`loss_sum`, `correct`, `count`) so they can be accumulated
    on the device across steps and divided once when they are logged.
    """
    key = jax.random.fold_in(state.dropout_key, state.step)

    def loss_fn(params):
        logits, batch_stats = _apply(state, params, batch["inputs"], True, key)
        losses = cross_entropy(logits, batch["labels"])
        return losses.mean(), (losses, logits, batch_stats)

    grads, (losses, logits, batch_stats) = jax.grad(loss_fn, has_aux=True)(state.params)
    new_state = state.apply_gradients(grads=grads, batch_stats=batch_stats)
    return new_state, _sums(losses, logits, batch["labels"])


def eval_step(state: TrainState, batch: Batch) -> Metrics:
    """Summed loss and correct predictions on `batch`; `batch['mask']` drops padding examples."""
    logits, _ = _apply(state, state.params, batch["inputs"], False, None)
    return _sums(cross_entropy(logits, batch["labels"]), logits, batch["labels"], batch.get("mask"))


def predict(state: TrainState, inputs: jax.Array) -> jax.Array:
    """Predicted class per example (eval mode)."""
    logits, _ = _apply(state, state.params, inputs, False, None)
    return jnp.argmax(logits, -1)


def _sums(losses: jax.Array, logits: jax.Array, labels: jax.Array, mask: jax.Array | None = None) -> Metrics:
    weights = jnp.ones_like(losses) if mask is None else mask.astype(jnp.float32)
    correct = (jnp.argmax(logits, -1) == labels).astype(jnp.float32)
    return {"loss_sum": jnp.sum(losses * weights), "correct": jnp.sum(correct * weights),
            "count": jnp.sum(weights)}
