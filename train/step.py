"""The pure pieces of training: state, one train step and one eval step.

Everything here is a function of its arguments only, so it can be jitted, scanned, sharded and
tested in isolation. Randomness (dropout) comes from a key stored in the state and folded with
the step number, so a resumed run draws exactly the keys an uninterrupted one would. What the
model's output means (loss, metrics, carried state) is the task's (`train.tasks`): any object with
its `model_kwargs`, `losses` and `sums`.
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
    """flax's TrainState plus batch-norm statistics, the dropout key, and a recurrent state carried
    from one step to the next (language models; None otherwise)."""

    batch_stats: Any = flax.core.FrozenDict()
    dropout_key: jax.Array | None = None
    carry: Any = None


def run_keys(seed: int) -> tuple[jax.Array, jax.Array]:
    """(init key, augmentation key) of a run: the one place a seed becomes keys, so a run, its analysis
    and its reports rebuild the same initial parameters from `config.seed`."""
    init_key, augment_key = jax.random.split(jax.random.key_data(jax.random.key(seed)))
    return init_key, augment_key


def create_state(model: nn.Module, tx: optax.GradientTransformation, input_shape: tuple[int, ...],
                 key: jax.Array, input_dtype: Any = jnp.float32) -> TrainState:
    """Initialises parameters from `key` with a batch of one zero example (token ids need an integer dtype)."""
    init_key, dropout_key = jax.random.split(key)
    init = jax.jit(lambda k, x: model.init({"params": k}, x, train=False))  # compiled, so the cache keeps it
    variables = init(init_key, jnp.zeros((1, *input_shape), input_dtype))
    return TrainState.create(apply_fn=model.apply, params=variables["params"], tx=tx,
                             batch_stats=variables.get("batch_stats", flax.core.FrozenDict()),
                             dropout_key=dropout_key)


def apply_model(state: TrainState, params: Any, inputs: jax.Array, train: bool, key: jax.Array | None,
                extra: dict[str, Any] | None = None) -> tuple[jax.Array, Any, Any]:
    """(outputs, batch_stats, carry): `extra` holds the task's model arguments (lengths, carry)."""
    variables = {"params": params}
    if state.batch_stats:
        variables["batch_stats"] = state.batch_stats
    rngs = {"dropout": key} if key is not None else None
    extra = extra or {}
    mutable = (["batch_stats"] if train and state.batch_stats else []) + (["carry"] if "carry" in extra else [])
    if mutable:
        outputs, updates = state.apply_fn(variables, inputs, train=train, rngs=rngs, mutable=mutable, **extra)
        carry = updates["carry"]["final"] if "carry" in extra else state.carry
        return outputs, updates.get("batch_stats", state.batch_stats), carry
    return state.apply_fn(variables, inputs, train=train, rngs=rngs, **extra), state.batch_stats, state.carry


def train_step(state: TrainState, batch: Batch, task: Any) -> tuple[TrainState, Metrics]:
    """One optimiser update on `batch` = {'inputs', 'labels'[, 'lengths']}; returns the new state and metrics.

    Metrics are sums over the batch (`task.sum_keys`: `loss_sum`, `correct`, `count` for
    classification) so they can be accumulated on the device across steps and divided once when
    they are logged. A task that carries state (language models) gets its final recurrent state
    stored in `state.carry` for the next step.
    """
    key = jax.random.fold_in(state.dropout_key, state.step)
    extra = task.model_kwargs(state, batch)

    def loss_fn(params):
        outputs, batch_stats, carry = apply_model(state, params, batch["inputs"], True, key, extra)
        losses = task.losses(outputs, batch)
        return losses.mean(), (losses, outputs, batch_stats, carry)

    grads, (losses, outputs, batch_stats, carry) = jax.grad(loss_fn, has_aux=True)(state.params)
    new_state = state.apply_gradients(grads=grads, batch_stats=batch_stats)
    if task.carries_state:
        new_state = new_state.replace(carry=jax.lax.stop_gradient(carry))
    return new_state, task.sums(losses, outputs, batch)


def eval_outputs(state: TrainState, batch: Batch, task: Any) -> jax.Array:
    """The model's eval-mode outputs on `batch` (each segment of a language model from a zero state)."""
    extra = {k: v for k, v in task.model_kwargs(state, batch).items() if k != "carry"}
    return apply_model(state, state.params, batch["inputs"], False, None, extra)[0]


def eval_step(state: TrainState, batch: Batch, task: Any) -> Metrics:
    """Summed loss and metrics on `batch`; `batch['mask']` drops padding."""
    outputs = eval_outputs(state, batch, task)
    return task.sums(task.losses(outputs, batch), outputs, batch, batch.get("mask"))


def eval_streams(state: TrainState, batches: Batch, task: Any, num_streams: int) -> Metrics:
    """Summed metrics over a whole split of consecutive text segments, carrying the state across them.

    `batches` is `resident.eval_batches` of a split whose rows are consecutive segments of one text.
    The rows are read as `num_streams` contiguous streams side by side, and each stream's state
    flows from one segment into the next, as in training, so every token after a stream's first
    segment is predicted with its full history.
    """
    rows = batches["inputs"].shape[0] * batches["inputs"].shape[1]
    flat = jax.tree.map(lambda a: a.reshape(rows, *a.shape[2:]), batches)
    streams = min(num_streams, rows)
    steps = -(-rows // streams)
    pad = steps * streams - rows
    flat = jax.tree.map(lambda a: jnp.concatenate([a, jnp.zeros((pad, *a.shape[1:]), a.dtype)]), flat)
    by_step = jax.tree.map(lambda a: a.reshape(streams, steps, *a.shape[1:]).swapaxes(0, 1), flat)
    carry0 = jax.tree.map(lambda c: jnp.zeros((streams, *c.shape[1:]), c.dtype), state.carry)

    def body(carry, batch):
        outputs, _, carry = apply_model(state, state.params, batch["inputs"], False, None, {"carry": carry})
        return carry, task.sums(task.losses(outputs, batch), outputs, batch, batch["mask"])

    _, sums = jax.lax.scan(body, carry0, by_step)
    return jax.tree.map(lambda s: s.sum(0), sums)
