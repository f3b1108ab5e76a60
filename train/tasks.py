"""What a model's output means, so the loop never asks which task it runs.

A data set names its task (`Dataset.task`). The task gives the loss and its sums (accumulated on the
device, divided once by `summarize` when logged), how training visits the examples, how a held-out
split is evaluated, and what the summary adds:

- `classification`: softmax cross-entropy on one integer label per example; accuracy; a confusion matrix.
- `language_model`: cross-entropy of every next token, in nats and bits per token; the recurrent state
  is carried from step to step (`LanguageModel`).
- `regression`: mean squared error on float targets; RMSE in the targets' original units.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from data import order, resident
from train.parallel import to_host
from train.step import Batch, TrainState, eval_outputs, eval_step, eval_streams

def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Per-example softmax cross-entropy on integer labels (the sparse form), computed in f32."""
    return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), labels)


def _weights(losses: jax.Array, mask: jax.Array | None) -> jax.Array:
    """1 for every real example (every token of a real example), 0 for padding."""
    if mask is None:
        return jnp.ones_like(losses)
    mask = mask.astype(jnp.float32).reshape(mask.shape + (1,) * (losses.ndim - mask.ndim))
    return jnp.broadcast_to(mask, losses.shape)


@dataclasses.dataclass(frozen=True)
class Task:
    """Classification: one integer label per example."""

    name: str = "classification"
    sum_keys: tuple[str, ...] = ("loss_sum", "correct", "count")
    carries_state: bool = False
    lengths: bool = False  # the model declares `takes_lengths`: variable-length sequences get their lengths

    def model_kwargs(self, state: Any, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """Keyword arguments for the model beyond the inputs (`lengths` of variable-length sequences)."""
        if self.lengths and "lengths" in batch:
            return {"lengths": batch["lengths"]}
        return {}

    def visiting_order(self, seed: int, num_examples: int) -> Callable[[int], Any]:
        """epoch -> the visiting orders of that epoch and the next, [2, n]: a fresh shuffle per epoch
        (`data.order`), computed on the device once per epoch."""
        return lambda epoch: resident.epoch_orders(np.uint32(seed), np.int32(epoch), num_examples)

    def evaluate(self, state: Any, batches: dict[str, jax.Array]) -> dict[str, float]:
        """Loss and accuracy over a padded split (`data.resident.eval_batches`)."""
        sums = summed(state, batches, self)
        return {"loss": float(sums["loss_sum"] / sums["count"]), "accuracy": float(sums["correct"] / sums["count"])}

    def extras(self, state: Any, batches: dict[str, jax.Array], dataset: Any) -> dict[str, Any]:
        """What the summary adds: a classifier's confusion matrix on the evaluated split (and its class names),
        else the task's name."""
        if self.name != "classification":
            return {"task": self.name}
        counts = confusion_matrix(state, batches, self, dataset.num_classes).tolist()
        return {"confusion_matrix": counts, **({"class_names": list(dataset.class_names)} if dataset.class_names else {})}

    def losses(self, outputs: jax.Array, batch: dict[str, jax.Array]) -> jax.Array:
        return cross_entropy(outputs, batch["labels"])

    def sums(self, losses: jax.Array, outputs: jax.Array, batch: dict[str, jax.Array],
             mask: jax.Array | None = None) -> dict[str, jax.Array]:
        weights = _weights(losses, mask)
        correct = (jnp.argmax(outputs, -1) == batch["labels"]).astype(jnp.float32)
        return {"loss_sum": jnp.sum(losses * weights), "correct": jnp.sum(correct * weights),
                "count": jnp.sum(weights)}

    def summarize(self, sums: dict[str, Any]) -> dict[str, float]:
        count = float(sums["count"])
        return {"loss": float(sums["loss_sum"]) / count, "accuracy": float(sums["correct"]) / count}


@dataclasses.dataclass(frozen=True)
class LanguageModel(Task):
    """Next-token prediction over [batch, time] token ids, with truncated backpropagation through time.

    Batch row b of step s+1 continues batch row b of step s (`data.order.stream_order`); the final state
    of step s is the initial state of step s+1, and gradients stop at the segment boundary because the
    carried state is data, not a function of the parameters. Every `steps_per_epoch` the streams start
    again from the beginning of the text, from zeros.
    """

    name: str = "language_model"
    carries_state: bool = True
    steps_per_epoch: int = 1
    batch_size: int = 1

    def visiting_order(self, seed: int, num_examples: int) -> Callable[[int], Any]:
        """Every epoch the same stream order (`stream_order`), whatever the seed: the text stays in order."""
        streams = order.stream_order(num_examples, self.batch_size)
        return lambda epoch: np.stack([streams, streams])

    def evaluate(self, state: Any, batches: dict[str, jax.Array]) -> dict[str, float]:
        return self.summarize(summed_streams(state, batches, self))

    def model_kwargs(self, state: Any, batch: dict[str, jax.Array]) -> dict[str, Any]:
        restart = (state.step % self.steps_per_epoch) == 0
        carry = jax.tree.map(lambda c: jnp.where(restart, jnp.zeros_like(c), c), state.carry)
        return {"carry": carry}

    def summarize(self, sums: dict[str, Any]) -> dict[str, float]:
        out = super().summarize(sums)  # loss in nats per token, next-token accuracy
        out["bits_per_token"] = out["loss"] / math.log(2.0)
        return out


@dataclasses.dataclass(frozen=True)
class Regression(Task):
    """Float targets [batch, outputs]; `target_scale` converts the scaled targets' RMSE back to data units."""

    name: str = "regression"
    sum_keys: tuple[str, ...] = ("loss_sum", "count")
    target_scale: float = 1.0

    def losses(self, outputs: jax.Array, batch: dict[str, jax.Array]) -> jax.Array:
        error = outputs.astype(jnp.float32).reshape(batch["labels"].shape) - batch["labels"]
        return jnp.mean(jnp.square(error).reshape(error.shape[0], -1), axis=-1)

    def sums(self, losses: jax.Array, outputs: jax.Array, batch: dict[str, jax.Array],
             mask: jax.Array | None = None) -> dict[str, jax.Array]:
        weights = _weights(losses, mask)
        return {"loss_sum": jnp.sum(losses * weights), "count": jnp.sum(weights)}

    def summarize(self, sums: dict[str, Any]) -> dict[str, float]:
        mse = float(sums["loss_sum"]) / float(sums["count"])
        return {"loss": mse, "rmse": math.sqrt(mse) * self.target_scale}

    def evaluate(self, state: Any, batches: dict[str, jax.Array]) -> dict[str, float]:
        return self.summarize(summed(state, batches, self))


# Evaluation over a whole split: the split is padded to whole batches (`data.resident.eval_batches`) and
# lives on the device; one compiled call per batch adds up the task's sums, and only totals reach the host.
EVAL_STREAMS = 32  # language models: evaluation reads a split as this many streams, state carried along each


@functools.partial(jax.jit, static_argnames="task")
def _batch_sums(state: TrainState, batches: Batch, index: jax.Array, task: Any) -> dict[str, jax.Array]:
    return eval_step(state, jax.tree.map(lambda a: a[index], batches), task)


_stream_sums = jax.jit(eval_streams, static_argnames=("task", "num_streams"))


@functools.partial(jax.jit, static_argnames=("task", "num_classes"))
def _confusion_batch(state: TrainState, batches: Batch, index: jax.Array, task: Any, num_classes: int) -> jax.Array:
    batch = jax.tree.map(lambda a: a[index], batches)
    predicted = jnp.argmax(eval_outputs(state, batch, task), -1)
    pairs = batch["labels"] * num_classes + predicted
    return jnp.bincount(pairs, weights=batch["mask"].astype(jnp.int32), length=num_classes * num_classes)


def _over_batches(call: Any, state: TrainState, batches: Batch, *static: Any) -> Any:
    """`call(state, batches, i, *static)` summed over every batch i of a padded split, on the host."""
    total = None
    for i in range(batches["labels"].shape[0]):
        out = call(state, batches, jnp.int32(i), *static)
        total = out if total is None else jax.tree.map(jnp.add, total, out)
    return to_host(total)


def summed(state: TrainState, batches: Batch, task: Any) -> dict[str, np.ndarray]:
    """The task's metric sums over a padded split."""
    return _over_batches(_batch_sums, state, batches, task)


def summed_streams(state: TrainState, batches: Batch, task: Any) -> dict[str, np.ndarray]:
    """The sums over a split of consecutive segments read as streams with carried state (language models)."""
    return to_host(_stream_sums(state, batches, task, EVAL_STREAMS))


def confusion_matrix(state: TrainState, batches: Batch, task: Any, num_classes: int) -> np.ndarray:
    """counts[true, predicted] over a padded split."""
    total = _over_batches(_confusion_batch, state, batches, task, num_classes)
    return total.reshape(num_classes, num_classes).astype(np.int64)


CLASSIFICATION = Task()


def create(name: str, model: Any = None, steps_per_epoch: int = 1, batch_size: int = 1,
           target_scale: float = 1.0) -> Task:
    """The task a data set declares, told what it needs of the model and the run."""
    lengths = bool(getattr(model, "takes_lengths", False))
    if name not in ("classification", "language_model", "regression"):
        raise ValueError(f"unknown task {name!r}; valid tasks: classification, language_model, regression")
    if name == "language_model":
        return LanguageModel(lengths=lengths, steps_per_epoch=steps_per_epoch, batch_size=batch_size)
    return Regression(lengths=lengths, target_scale=target_scale) if name == "regression" else Task(lengths=lengths)
