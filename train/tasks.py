"""What a model's output means: the loss, the metrics, and any state carried between steps.

A data set names its task (`Dataset.task`); the train step, the evaluation and the logs ask the
task instead of assuming classification:

- `classification`: softmax cross-entropy on one integer label per example; accuracy.
- `language_model`: cross-entropy of every next token, in nats per token and bits per token.
  The recurrent state is carried from one training step to the next (truncated backpropagation
  through time): batch row b of step s+1 continues batch row b of step s (`stream_order`), the
  final state of step s is the initial state of step s+1, and gradients stop at the segment
  boundary because the carried state is data, not a function of the parameters.
- `regression`: mean squared error on float targets; RMSE in the targets' original units.

Metrics are sums over examples (or tokens), so they accumulate on the device and are divided once
at log time by `summarize`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

TASKS = ("classification", "language_model", "regression")


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Per-example softmax cross-entropy on integer labels (the sparse form), computed in f32."""
    return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), labels)


def accepts(apply_fn: Any, keyword: str) -> bool:
    """Whether the model behind `apply_fn` (a bound `Module.apply`) takes `keyword` in `__call__`.

    Sequence data carries `lengths`; models that can use them declare the argument, the others
    (a CNN fed zero-padded series) simply do not receive it.
    """
    module = getattr(apply_fn, "__self__", None)
    if module is None:
        return False
    return keyword in inspect.signature(type(module).__call__).parameters


@dataclasses.dataclass(frozen=True)
class Task:
    """Classification: one integer label per example."""

    name: str = "classification"
    sum_keys: tuple[str, ...] = ("loss_sum", "correct", "count")
    carries_state: bool = False

    def model_kwargs(self, state: Any, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """Keyword arguments for the model beyond the inputs (`lengths` of variable-length sequences)."""
        if "lengths" in batch and accepts(state.apply_fn, "lengths"):
            return {"lengths": batch["lengths"]}
        return {}

    def losses(self, outputs: jax.Array, batch: dict[str, jax.Array]) -> jax.Array:
        return cross_entropy(outputs, batch["labels"])

    def mean_loss(self, losses: jax.Array, batch: dict[str, jax.Array]) -> jax.Array:
        return losses.mean()

    def sums(self, losses: jax.Array, outputs: jax.Array, batch: dict[str, jax.Array],
             mask: jax.Array | None = None) -> dict[str, jax.Array]:
        weights = jnp.ones_like(losses) if mask is None else mask.astype(jnp.float32)
        correct = (jnp.argmax(outputs, -1) == batch["labels"]).astype(jnp.float32)
        return {"loss_sum": jnp.sum(losses * weights), "correct": jnp.sum(correct * weights),
                "count": jnp.sum(weights)}

    def summarize(self, sums: dict[str, Any]) -> dict[str, float]:
        count = float(sums["count"])
        return {"loss": float(sums["loss_sum"]) / count, "accuracy": float(sums["correct"]) / count}


@dataclasses.dataclass(frozen=True)
class LanguageModel(Task):
    """Next-token prediction over [batch, time] token ids with the recurrent state carried across steps.

    `steps_per_epoch` tells the step when the streams start again from the beginning of the text,
    where the carried state is reset to zeros.
    """

    name: str = "language_model"
    carries_state: bool = True
    steps_per_epoch: int = 1

    def model_kwargs(self, state: Any, batch: dict[str, jax.Array]) -> dict[str, Any]:
        restart = (state.step % self.steps_per_epoch) == 0
        carry = jax.tree.map(lambda c: jnp.where(restart, jnp.zeros_like(c), c), state.carry)
        return {"carry": carry}

    def mean_loss(self, losses: jax.Array, batch: dict[str, jax.Array]) -> jax.Array:
        return losses.mean()  # every position of a training segment is a real token

    def sums(self, losses: jax.Array, outputs: jax.Array, batch: dict[str, jax.Array],
             mask: jax.Array | None = None) -> dict[str, jax.Array]:
        weights = jnp.ones_like(losses) if mask is None else \
            jnp.broadcast_to(mask.astype(jnp.float32)[:, None], losses.shape)
        correct = (jnp.argmax(outputs, -1) == batch["labels"]).astype(jnp.float32)
        return {"loss_sum": jnp.sum(losses * weights), "correct": jnp.sum(correct * weights),
                "count": jnp.sum(weights)}

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
        weights = jnp.ones_like(losses) if mask is None else mask.astype(jnp.float32)
        return {"loss_sum": jnp.sum(losses * weights), "count": jnp.sum(weights)}

    def summarize(self, sums: dict[str, Any]) -> dict[str, float]:
        mse = float(sums["loss_sum"]) / float(sums["count"])
        return {"loss": mse, "rmse": math.sqrt(mse) * self.target_scale}


CLASSIFICATION = Task()


def create(name: str, steps_per_epoch: int = 1, target_scale: float = 1.0) -> Task:
    """The task a data set declares; the loop supplies what the task needs to know about the run."""
    if name == "classification":
        return CLASSIFICATION
    if name == "language_model":
        return LanguageModel(steps_per_epoch=steps_per_epoch)
    if name == "regression":
        return Regression(target_scale=target_scale)
    raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join(TASKS)}")


def stream_order(num_examples: int, batch_size: int) -> np.ndarray:
    """The visiting order that makes consecutive steps continue each other (for carried state).

    Rows are consecutive segments of one text. With S = num_examples // batch_size steps per epoch,
    batch row b reads rows b*S, b*S+1, ..., b*S+S-1 at steps 0..S-1: `batch_size` streams, each a
    contiguous stretch of the text. Rows past S*batch_size (fewer than batch_size) are not visited.
    """
    steps = num_examples // batch_size
    visited = np.arange(steps * batch_size, dtype=np.int32).reshape(batch_size, steps).T.reshape(-1)
    return np.concatenate([visited, np.arange(steps * batch_size, num_examples, dtype=np.int32)])
