"""The train loop: compose the pure step with device-resident data, run it, and do the side effects.

Inside the compiled call: batch selection, the train step, and metric accumulation. Outside it,
only at log/eval/checkpoint steps: pulling metrics to the host, writing logs, saving checkpoints,
and reacting to signals. Nothing is copied to the host between those steps.
"""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax import lax

import data as data_lib
import models
from data import order as data_order
from data import resident
from data.augment import augment
from train import optim, overrides, runtime, tasks
from train import task_feed
from train.checkpoint import Checkpointer
from train.feed import make_feed
from train.parallel import DataParallel, MeshError, is_primary, to_host
from train.logs import MetricWriter, Progress, say
from train.step import TrainState, create_state, eval_step, eval_streams, predict, train_step

CONFIG_FILE, SUMMARY_FILE = "config.json", "summary.json"
PIPELINES = ("auto", "resident", "grain")
_NEVER = -1


class ConfigError(ValueError):
    """A config that cannot run (or does not match the workdir's run); the message says which key."""


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or inf; the last good checkpoint is kept."""


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived; a checkpoint was saved at `step`."""

    def __init__(self, signum: int, step: int) -> None:
        super().__init__(signum, step)
        self.signum, self.step = signum, step


Totals = dict[str, jax.Array]


def _zero_totals(task: tasks.Task = tasks.CLASSIFICATION) -> Totals:
    # Separate buffers: all of them are donated to the next call.
    return {**{key: jnp.zeros((), jnp.float32) for key in task.sum_keys},
            "first_nonfinite_step": jnp.array(_NEVER, jnp.int32)}


def _accumulate(totals: Totals, metrics: dict[str, jax.Array], step: jax.Array) -> Totals:
    bad = ~jnp.isfinite(metrics["loss_sum"])
    first = totals["first_nonfinite_step"]
    return {**{k: totals[k] + metrics[k] for k in totals if k != "first_nonfinite_step"},
            "first_nonfinite_step": jnp.where((first == _NEVER) & bad, step, first)}


def make_train_call(batch_size: int, steps_per_call: int, crop_padding: int = 0, flip: bool = False,
                    feed: str = "resident", parallel: DataParallel | None = None,
                    task: tasks.Task = tasks.CLASSIFICATION) -> Callable:
    """The compiled call that runs `steps_per_call` train steps.

    feed='resident': `(state, totals, data, orders, orders_epoch, augment_key)`; the batch for each step is
    gathered inside the call from device-resident `data` in the epoch order `orders`
    (`resident.epoch_orders`). feed='host': `(state, totals, batches, augment_key)` with `batches`
    stacked `[steps_per_call, batch, ...]` by the grain stream. Keys and orders are arguments, not
    constants, so runs that differ only in seed share one compiled program (and the compilation cache).

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
        state, metrics = train_step(state, batch) if task == tasks.CLASSIFICATION else train_step(state, batch, task)
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


@functools.partial(jax.jit, static_argnames="task")
def _eval_batch(state: TrainState, batches: resident.Arrays, index: jax.Array,
                task: tasks.Task = tasks.CLASSIFICATION) -> dict[str, jax.Array]:
    return eval_step(state, jax.tree.map(lambda a: a[index], batches), task)


_eval_streams = jax.jit(eval_streams, static_argnames=("task", "num_streams"))
EVAL_STREAMS = 32  # language models: evaluation reads a split as this many streams, state carried along each


@functools.partial(jax.jit, static_argnames="num_classes")
def _confusion_batch(state: TrainState, batches: resident.Arrays, index: jax.Array, num_classes: int) -> jax.Array:
    batch = jax.tree.map(lambda a: a[index], batches)
    pairs = batch["labels"] * num_classes + predict(state, batch["inputs"], batch.get("lengths"))
    return jnp.bincount(pairs, weights=batch["mask"].astype(jnp.int32), length=num_classes * num_classes)


def confusion_matrix(state: TrainState, batches: resident.Arrays, num_classes: int) -> np.ndarray:
    """counts[true, predicted] over a padded split from `resident.eval_batches`."""
    total = sum(_confusion_batch(state, batches, jnp.int32(i), num_classes)
                for i in range(batches["labels"].shape[0]))
    return to_host(total).reshape(num_classes, num_classes).astype(np.int64)


def evaluate(state: TrainState, batches: resident.Arrays, task: tasks.Task = tasks.CLASSIFICATION) -> dict[str, float]:
    """The task's metrics (loss and accuracy for classification) over a padded split from `resident.eval_batches`."""
    if task.carries_state:
        return task.summarize(to_host(_eval_streams(state, batches, task, EVAL_STREAMS)))
    sums = None
    for i in range(batches["labels"].shape[0]):
        out = _eval_batch(state, batches, jnp.int32(i)) if task == tasks.CLASSIFICATION else \
            _eval_batch(state, batches, jnp.int32(i), task)
        sums = out if sums is None else jax.tree.map(jnp.add, sums, out)
    sums = to_host(sums)
    if task == tasks.CLASSIFICATION:
        return {"loss": float(sums["loss_sum"] / sums["count"]), "accuracy": float(sums["correct"] / sums["count"])}
    return task.summarize(sums)


def validate_config(config: ml_collections.ConfigDict) -> None:
    k = config.steps_per_call
    if k < 1:
        raise ConfigError(f"steps_per_call must be >= 1, got {k}")
    for key in ("num_steps", "log_every", "checkpoint_every", "eval_every"):
        value = config[key]
        if value < 0 or (key in ("log_every", "checkpoint_every") and value == 0):
            raise ConfigError(f"{key} must be positive, got {value}")
        if value % k:
            raise ConfigError(f"{key}={value} must be a multiple of steps_per_call={k}")
    pipeline = config.data.get("pipeline", "auto")
    if pipeline not in PIPELINES:
        raise ConfigError(f"data.pipeline must be one of {', '.join(PIPELINES)}, got {pipeline!r}")
    if config.data.get("workers", 0) < 0:
        raise ConfigError(f"data.workers must be >= 0, got {config.data.workers}")


def _write_json(path: Path, content: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _check_same_run(workdir: Path, config: ml_collections.ConfigDict) -> None:
    """Refuses to resume a workdir whose recorded config differs from this one."""
    path = workdir / CONFIG_FILE
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())["config"]
    except (ValueError, KeyError) as error:
        raise ConfigError(f"{path} is unreadable ({error}); use a new --workdir") from error
    new = json.loads(config.to_json())
    diffs = _differences(old, new)
    if diffs:
        raise ConfigError(f"workdir {workdir} holds a run with a different config ({'; '.join(diffs[:5])}); "
                          "use a new --workdir or the same flags")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix[:-1]}: {old!r} -> {new!r}"]


def num_params(params: Any) -> int:
    return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))


class _Silent:
    """Stands in for the metric writer and progress bar on processes other than 0."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


class _SignalCatcher:
    """Turns SIGTERM/SIGINT into a flag the loop checks between compiled calls."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_SignalCatcher":
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str | os.PathLike) -> dict[str, Any]:
    """Trains `config` in `workdir` (resuming from its newest checkpoint) and returns the summary."""
    entered = time.perf_counter()
    first_step_seconds = None
    workdir = Path(workdir)
    validate_config(config)
    workdir.mkdir(parents=True, exist_ok=True)
    _check_same_run(workdir, config)

    dataset = data_lib.load(config.data)
    resident.check_batch_size(dataset.splits["train"], config.batch_size, dataset.name)
    per_epoch = data_order.steps_per_epoch(len(dataset.splits["train"]), config.batch_size)
    if config.steps_per_call > per_epoch:
        raise ConfigError(f"steps_per_call={config.steps_per_call} exceeds the {per_epoch} steps of one epoch of "
                          f"{dataset.name!r} at batch_size {config.batch_size}; lower it")
    try:
        parallel = DataParallel(config.mesh.data)
        parallel.check_batch_size(config.batch_size)
    except MeshError as error:
        raise ConfigError(str(error)) from error
    model = models.create(config.model, dataset.num_classes, config.get("dtype", "float32"),
                          config.get("kernels", "auto"))
    task = tasks.create(dataset.task, steps_per_epoch=per_epoch, target_scale=dataset.target_scale)
    init_key, augment_key = jax.random.split(jax.random.key_data(jax.random.key(config.seed)))
    try:
        state = create_state(model, optim.optimizer(config), dataset.input_shape, init_key,
                             dataset.splits["train"].inputs.dtype)
    except (TypeError, ValueError, IndexError) as error:  # flax's shape errors, raised before any training
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ConfigError(f"model {config.model.name!r} cannot take data set {dataset.name!r}, whose examples are "
                          f"{dataset.splits['train'].inputs.dtype} of shape {dataset.input_shape} ({first}); "
                          "choose a model made for this data (python -m train --list shows matching "
                          "experiments)") from error
    if task.carries_state:  # the recurrent state carried across steps, one per stream (batch row)
        state = state.replace(carry=model.initial_carry(config.batch_size))
    state = parallel.replicate(state)
    augment_key = parallel.replicate(augment_key)

    checkpointer = Checkpointer(workdir / "checkpoints", config.keep_checkpoints, warn=say)
    state, start_step = checkpointer.restore(state)
    if start_step:
        say(f"resuming {config.experiment} from step {start_step} in {workdir}")
    primary = is_primary()
    if primary:
        _write_json(workdir / CONFIG_FILE, {"config": json.loads(config.to_json()), "seed": config.seed,
                                            **runtime.environment()})

    writer = MetricWriter(workdir, start_step) if primary else _Silent()
    learning_rate = optim.schedule(config)
    feed = task_feed.make_feed(config, dataset, start_step, parallel) if task.carries_state else \
        make_feed(config, dataset, start_step, parallel)
    eval_data = {name: parallel.replicate(resident.eval_batches(split, config.eval_batch_size))
                 for name, split in dataset.splits.items() if name != "train"}
    zero_totals = lambda: parallel.replicate(_zero_totals(task))  # noqa: E731
    totals = zero_totals()

    compile_start = time.perf_counter()
    train_call = make_train_call(config.batch_size, config.steps_per_call, config.augment.crop_padding,
                                 config.augment.flip, feed.feed, parallel, task).lower(
        state, totals, *feed.example_args(start_step), augment_key).compile()
    compile_seconds = time.perf_counter() - compile_start

    progress = Progress(config.num_steps, start_step) if primary else _Silent()
    profile_steps = config.get("profile_steps", 0) if primary else 0
    step, window_start, window_step = start_step, time.perf_counter(), start_step
    train_start = time.perf_counter()

    def check_finite(totals: Totals) -> None:
        bad = int(totals["first_nonfinite_step"])
        if bad != _NEVER:
            last = checkpointer.latest_step()
            kept = f"last good checkpoint: step {last} in {checkpointer.directory}" if last is not None \
                else "no checkpoint was saved"
            raise NonFiniteLossError(f"loss became non-finite at step {bad + 1}; stopped ({kept}); "
                                     "lower --config.optimizer.learning_rate or set --config.optimizer.grad_clip_norm")

    try:
        with _SignalCatcher() as signals:
            while step < config.num_steps:
                if profile_steps and step == start_step + config.steps_per_call:  # after the first (compiling) call
                    jax.profiler.start_trace(str(workdir / "profile"))
                state, totals = train_call(state, totals, *feed.args(step), augment_key)
                step += config.steps_per_call
                if profile_steps and step == start_step + config.steps_per_call * (1 + profile_steps):
                    jax.block_until_ready(state)
                    jax.profiler.stop_trace()
                    say(f"profile of {profile_steps} calls written to {workdir / 'profile'} "
                        "(open with TensorBoard's profile plugin or Perfetto)")
                if first_step_seconds is None:  # data, init, restore and compile: what the cache shortens
                    first_step_seconds = time.perf_counter() - entered if jax.block_until_ready(state) else 0.0
                if step % config.log_every == 0 or step == config.num_steps:
                    host = to_host(totals)
                    check_finite(host)
                    now = time.perf_counter()
                    metrics = {**task.summarize(host),
                               "learning_rate": float(learning_rate(step - 1)),
                               "examples_per_sec": (step - window_step) * config.batch_size / (now - window_start)}
                    writer.write(step, "train", metrics)
                    progress.update(step, metrics)
                    totals, window_start, window_step = zero_totals(), time.perf_counter(), step
                if config.eval_every and step % config.eval_every == 0 and step < config.num_steps \
                        and "validation" in eval_data:
                    writer.write(step, "validation", evaluate(state, eval_data["validation"], task))
                    window_start = time.perf_counter()
                if signals.signum is not None or step % config.checkpoint_every == 0 or step == config.num_steps:
                    check_finite(to_host(totals))
                    checkpointer.save(step, state)
                if signals.signum is not None:
                    checkpointer.wait()
                    raise Interrupted(signals.signum, step)
        jax.block_until_ready(state)
        train_seconds = time.perf_counter() - train_start
        checkpointer.save(step, state)
        checkpointer.wait()
    finally:
        feed.close()
        progress.close()
        checkpointer.close()

    results = {name: evaluate(state, batches, task) for name, batches in eval_data.items()}
    for name, metrics in results.items():
        writer.write(step, name, metrics)
    confusion = confusion_matrix(state, eval_data[dataset.eval_split], dataset.num_classes) \
        if task == tasks.CLASSIFICATION else None
    writer.write_run_end(hparams=overrides.flatten(json.loads(config.to_json())), final=results[dataset.eval_split],
                         confusion=confusion, step=step)
    writer.close()
    summary = {
        "experiment": config.experiment,
        "steps": step,
        "resumed_from_step": start_step,
        "train_seconds": train_seconds,
        "compile_seconds": compile_seconds,
        "first_step_seconds": first_step_seconds,
        "examples_per_sec": (step - start_step) * config.batch_size / train_seconds if step > start_step else 0.0,
        "num_params": num_params(state.params),
        "data_parallel_devices": parallel.size,
        "processes": jax.process_count(),
        "seed": config.seed,
        "eval_split": dataset.eval_split,
        "eval": results[dataset.eval_split],
        "splits": results,
    }
    if confusion is not None:
        summary["confusion_matrix"] = confusion.tolist()
    else:
        summary["task"] = task.name
    if primary:
        _write_json(workdir / SUMMARY_FILE, summary)
    return summary
