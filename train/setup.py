"""Stage 1 of a run: from a config to everything training needs (data, model, task, state, restore).

Every check that can fail on bad input runs here, before the first compiled step: the config's
values, the workdir, the data set, the batch against the data and the mesh, the model against the
data. The same pieces rebuild a finished run for analysis (`initial_state`, used by `layerwise.restore`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import ml_collections

import data as data_lib
import models
from data import order, resident
from data.dataset import Dataset
from train import optim, runtime, tasks, workdir as workdirs
from train.checkpoint import Checkpointer
from train.errors import ConfigError
from train.logs import MetricWriter, Silent, say
from train.parallel import DataParallel, is_primary
from train.select import Selection
from train.step import TrainState, create_state, run_keys

PIPELINES = ("auto", "resident", "grain")


@dataclasses.dataclass
class Run:
    """A run set up from its config; the fit and finish stages take it from here."""

    config: ml_collections.ConfigDict
    workdir: Path
    dataset: Dataset
    model: nn.Module
    task: tasks.Task
    parallel: DataParallel
    state: TrainState             # initial, or restored from the newest checkpoint
    start_step: int
    augment_key: jax.Array
    checkpointer: Checkpointer
    writer: Any                   # MetricWriter on process 0, a silent stand-in elsewhere
    selection: Selection | None   # the best state on validation, with select.metric
    eval_data: dict[str, Any]     # every held-out split, padded to whole batches, on the device
    entered: float                # when setup began: the first step's time counts from here


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Values that no run can use, found before any data is read."""
    k = config.steps_per_call
    if k < 1:
        raise ConfigError(f"steps_per_call must be >= 1, got {k}")
    for key in ("num_steps", "log_every", "checkpoint_every", "eval_every"):
        value = config[key]
        if value < 0 or (key in ("log_every", "checkpoint_every") and value == 0):
            raise ConfigError(f"{key} must be positive, got {value}")
        if value % k:
            raise ConfigError(f"{key}={value} must be a multiple of steps_per_call={k}")
    if config.data.pipeline not in PIPELINES:
        raise ConfigError(f"data.pipeline must be one of {', '.join(PIPELINES)}, got {config.data.pipeline!r}")
    if config.data.workers < 0:
        raise ConfigError(f"data.workers must be >= 0, got {config.data.workers}")
    metric, patience = config.select.metric, config.select.patience
    if patience < 0 or (patience and not metric):
        raise ConfigError(f"select.patience={patience} needs select.metric and must be >= 0")
    if metric and (not metric.startswith("validation.") or not config.eval_every):
        raise ConfigError(f"select.metric={metric!r} needs the form validation.NAME (e.g. validation.accuracy) "
                          f"and --config.eval_every > 0 (got {config.eval_every})")


def check_batches(config: ml_collections.ConfigDict, dataset: Dataset, parallel: DataParallel) -> int:
    """The batch against the data and the mesh; returns the steps of one epoch."""
    resident.check_batch_size(dataset.size("train"), config.batch_size, dataset.name)
    per_epoch = order.steps_per_epoch(dataset.size("train"), config.batch_size)
    if config.steps_per_call > per_epoch:
        raise ConfigError(f"steps_per_call={config.steps_per_call} exceeds the {per_epoch} steps of one epoch of "
                          f"{dataset.name!r} at batch_size {config.batch_size}; lower it")
    parallel.check_batch_size(config.batch_size)
    return per_epoch


def initial_state(config: ml_collections.ConfigDict, dataset: Dataset,
                  steps_per_epoch: int = 1) -> tuple[nn.Module, tasks.Task, TrainState]:
    """The model, its task and its state at step 0, drawn from `config.seed` (`run_keys`)."""
    try:
        model = models.create(config.model, dataset.num_classes, config.dtype, config.kernels)
    except ValueError as error:  # an unknown model, dtype or model setting
        raise ConfigError(str(error)) from error
    task = tasks.create(dataset.task, model, steps_per_epoch=steps_per_epoch, batch_size=config.batch_size,
                        target_scale=dataset.target_scale)
    try:
        state = create_state(model, optim.optimizer(config), dataset.input_shape, run_keys(config.seed)[0],
                             dataset.input_dtype)
    except (TypeError, ValueError, IndexError) as error:  # flax's shape errors, raised before any training
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ConfigError(f"model {config.model.name!r} cannot take data set {dataset.name!r}, whose examples are "
                          f"{dataset.input_dtype} of shape {dataset.input_shape} ({first}); choose a model made "
                          "for this data (python -m train --list shows matching experiments)") from error
    if task.carries_state:  # the recurrent state carried across steps, one per stream (batch row)
        state = state.replace(carry=model.initial_carry(config.batch_size))
    return model, task, state


def setup(config: ml_collections.ConfigDict, workdir: str | Path) -> Run:
    """Checks everything, builds the run and restores its newest checkpoint; records config.json."""
    entered = time.perf_counter()
    workdir = Path(workdir)
    validate_config(config)
    workdirs.prepare(workdir)
    workdirs.check_same_run(workdir, config)
    dataset = data_lib.load(config.data)
    parallel = DataParallel(config.mesh.data)
    per_epoch = check_batches(config, dataset, parallel)
    if config.select.metric and "validation" not in dataset.splits:
        raise ConfigError(f"select.metric needs a validation split; data set {dataset.name!r} has {sorted(dataset.splits)}")
    model, task, state = initial_state(config, dataset, per_epoch)
    state = parallel.replicate(state)
    checkpointer = Checkpointer(workdir / "checkpoints", config.keep_checkpoints, warn=say)
    state, start_step = checkpointer.restore(state)
    if start_step:
        say(f"resuming {config.experiment} from step {start_step} in {workdir}")
    primary = is_primary()
    if primary:
        workdirs.write_json(workdir / workdirs.CONFIG_FILE, {"config": json.loads(config.to_json()), "seed": config.seed,
                                                             "kernels": getattr(model, "kernels", "xla"),
                                                             **runtime.environment()})
    eval_data = {name: parallel.replicate(resident.eval_batches(dataset.splits[name], config.eval_batch_size))
                 for name in dataset.splits if name != "train"}  # train itself is read only if it is resident
    run = Run(config=config, workdir=workdir, dataset=dataset, model=model, task=task, parallel=parallel,
              state=state, start_step=start_step, augment_key=parallel.replicate(run_keys(config.seed)[1]),
              checkpointer=checkpointer, writer=MetricWriter(workdir, start_step) if primary else Silent(),
              selection=None, eval_data=eval_data, entered=entered)
    run.selection = Selection(run) if config.select.metric else None
    return run
