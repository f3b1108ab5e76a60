"""The compiled train call: batch selection, `steps_per_call` train steps and metric accumulation, in one program.

Metrics are sums accumulated on the device (`Totals`), with the first step whose loss was not finite;
the host reads them only at log and checkpoint steps. The state and the totals are donated, so the
call updates them in place.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax

from data import resident
from data.augment import augment
from train.parallel import DataParallel
from train.step import TrainState, train_step

Totals = dict[str, jax.Array]
NEVER = -1  # first_nonfinite_step while every loss so far was finite


def zero_totals(task: Any) -> Totals:
    # Separate buffers: all of them are donated to the next call.
    return {**{key: jnp.zeros((), jnp.float32) for key in task.sum_keys},
            "first_nonfinite_step": jnp.array(NEVER, jnp.int32)}


def _accumulate(totals: Totals, metrics: dict[str, jax.Array], step: jax.Array) -> Totals:
    bad = ~jnp.isfinite(metrics["loss_sum"])
    first = totals["first_nonfinite_step"]
    return {**{k: totals[k] + metrics[k] for k in totals if k != "first_nonfinite_step"},
            "first_nonfinite_step": jnp.where((first == NEVER) & bad, step, first)}


def make_train_call(batch_size: int, steps_per_call: int, task: Any, crop_padding: int = 0, flip: bool = False,
                    feed: str = "resident", parallel: DataParallel | None = None) -> Callable:
    """The jitted call that runs `steps_per_call` train steps.

    feed='resident': `(state, totals, data, orders, orders_epoch, augment_key)`; the batch for each step is
    gathered inside the call from device-resident `data` in the epoch's visiting order `orders`.
    feed='host': `(state, totals, batches, augment_key)` with `batches` stacked `[steps_per_call, batch, ...]`
    by the grain stream. Keys and orders are arguments, not constants, so runs that differ only in seed
    share one compiled program (and the compilation cache).

    With `steps_per_call > 1` the steps are fused with `lax.scan` into one program (one dispatch).
    On CPU the scan is fully unrolled: XLA:CPU keeps its fast convolution kernels only outside
    loops (a rolled scan measured 35x slower on digits_cnn), and even unrolled, fusion did not beat
    per-step calls there (README, "Performance"), so 1 is the default.
    """

    def one_step(state: TrainState, totals: Totals, batch: resident.Arrays,
                 augment_key: jax.Array) -> tuple[TrainState, Totals]:
        if crop_padding or flip:
            key = jax.random.fold_in(augment_key, state.step)
            batch = {**batch, "inputs": augment(batch["inputs"], key, crop_padding, flip)}
        step = state.step
        state, metrics = train_step(state, batch, task)
        return state, _accumulate(totals, metrics, step)

    def run(state: TrainState, totals: Totals, batch_for: Callable, augment_key: jax.Array):
        if steps_per_call == 1:
            return one_step(state, totals, batch_for(state, 0), augment_key)
        unroll = True if jax.default_backend() == "cpu" else 1

        def body(carry, i):
            state, totals = carry
            return one_step(state, totals, batch_for(state, i), augment_key), None

        (state, totals), _ = lax.scan(body, (state, totals), jnp.arange(steps_per_call), unroll=unroll)
        return state, totals

    def resident_call(state, totals, data, orders, orders_epoch, augment_key):
        def batch_for(s: TrainState, _: Any) -> resident.Arrays:
            batch = resident.batch_at(data, orders, orders_epoch, s.step, batch_size)
            return parallel.constrain_batch(batch) if parallel is not None else batch

        return run(state, totals, batch_for, augment_key)

    def host_call(state, totals, batches, augment_key):
        return run(state, totals, lambda _, i: jax.tree.map(lambda a: a[i], batches), augment_key)

    if feed == "resident":
        return jax.jit(resident_call, donate_argnums=(0, 1))
    if feed == "host":
        return jax.jit(host_call, donate_argnums=(0, 1))
    raise ValueError(f"unknown feed {feed!r}")
