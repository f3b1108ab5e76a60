"""A finished or checkpointed run rebuilt from its workdir: config, data, model, trained state.

Stands in for the training core's own `restore(workdir)` until that exists, with the same
interface, so swapping it is one import. Built from the pieces a run is made of: the recorded
config (`config.json`) applied onto the experiment's defaults, the data set, the model, and the
newest readable checkpoint restored into a state of the same structure. Problems a user can fix
(no run there, no checkpoint, data missing) raise `RunError` with one line saying what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import ml_collections
import numpy as np

import data as data_lib
import experiments
import models
from train import optim, overrides, tasks
from train.checkpoint import Checkpointer, CheckpointError
from train.step import TrainState, create_state


class RunError(ValueError):
    """A workdir that cannot be analysed; the message names it and the fix."""


class Run:
    """One run: `config`, `dataset`, `model`, `state` (newest checkpoint), `step`; `initial_state()` is step 0."""

    def __init__(self, workdir: Path, config: ml_collections.ConfigDict, dataset: data_lib.Dataset,
                 model: Any, state: TrainState, step: int) -> None:
        self.workdir, self.config, self.dataset, self.model, self.state, self.step = \
            workdir, config, dataset, model, state, step
        self._initial: TrainState | None = None

    def initial_state(self) -> TrainState:
        """The same architecture initialised from the run's seed, exactly as its step 0 was (computed once)."""
        if self._initial is None:
            self._initial = _initial_state(self.config, self.dataset, self.model)
        return self._initial

    def predict(self, inputs: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """The model's outputs (logits) in evaluation mode, for a batch of inputs."""
        variables = {"params": self.state.params}
        if self.state.batch_stats:
            variables["batch_stats"] = self.state.batch_stats
        extra = {"lengths": lengths} if lengths is not None and tasks.accepts(self.state.apply_fn, "lengths") else {}
        return np.asarray(self.model.apply(variables, inputs, train=False, **extra))

    def evaluate(self, split: str) -> dict[str, float]:
        """The task's metrics on one split, as the train loop reports them."""
        from data import resident
        from train import loop
        task = tasks.create(self.dataset.task, steps_per_epoch=1, target_scale=self.dataset.target_scale)
        batches = resident.eval_batches(self.dataset.splits[split], self.config.eval_batch_size)
        return loop.evaluate(self.state, batches, task)


def _initial_state(config: ml_collections.ConfigDict, dataset: data_lib.Dataset, model: Any) -> TrainState:
    init_key, _ = jax.random.split(jax.random.key_data(jax.random.key(config.seed)))  # as train.loop draws it
    # Compiled rather than op by op (ResNet-20: seconds instead of half a minute); the same bits either way.
    state = jax.jit(create_state, static_argnums=(0, 1, 2, 4))(
        model, optim.optimizer(config), dataset.input_shape, init_key, dataset.splits["train"].inputs.dtype)
    if dataset.task == "language_model":  # the carried state is part of a language model's checkpoint
        state = state.replace(carry=model.initial_carry(config.batch_size))
    return state


def recorded_config(workdir: Path) -> ml_collections.ConfigDict:
    """The run's config: its experiment's defaults with every recorded value applied."""
    path = workdir / "config.json"
    if not path.exists():
        raise RunError(f"{workdir} holds no run (no config.json); give the --workdir of a layerwise training run")
    try:
        recorded = json.loads(path.read_text())["config"]
        config = experiments.get_config(recorded["experiment"])
        overrides.apply_recorded(config, recorded)
    except (ValueError, KeyError, TypeError, experiments.UnknownExperimentError, overrides.OverrideError) as error:
        raise RunError(f"{path} cannot be read as a layerwise run's config ({type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''})") from error
    return config


def restore(workdir: str | Path) -> Run:
    """The run in `workdir` at its newest readable checkpoint."""
    workdir = Path(workdir)
    config = recorded_config(workdir)
    checkpoints = workdir / "checkpoints"
    if not checkpoints.is_dir() or not any(p.name.isdigit() for p in checkpoints.iterdir()):
        raise RunError(f"{workdir} has no checkpoint yet (nothing in {checkpoints}); train it first: "
                       f"python -m train --from_config={workdir / 'config.json'} --workdir={workdir}")
    try:
        dataset = data_lib.load(config.data)
    except data_lib.DataError as error:
        raise RunError(f"the data of run {workdir} is not available: {error}") from error
    model = models.create(config.model, dataset.num_classes, config.get("dtype", "float32"))
    target = _initial_state(config, dataset, model)
    checkpointer = Checkpointer(checkpoints, config.keep_checkpoints, warn=lambda message: None)
    try:
        state, step = checkpointer.restore(target)
    except CheckpointError as error:
        raise RunError(str(error)) from error
    finally:
        checkpointer.close()
    return Run(workdir, config, dataset, model, state, step)
