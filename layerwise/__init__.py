"""layerwise from Python: the command line's runs, for a notebook or a script.

    import layerwise
    config = layerwise.experiment("digits_cnn"); config.num_steps = 200
    summary = layerwise.run(config, workdir="runs/nb")   # the same files and summary as `python -m train`
    run = layerwise.restore("runs/nb")                    # config, dataset, model, state; predict(), evaluate()
    best = layerwise.restore("runs/nb", which="best")     # the state chosen on validation (select.metric)

No flags are parsed. Bad input raises a typed exception (`ConfigError`, `DataError`, `OverrideError`,
`UnknownExperimentError`, `CheckpointError`) whose message is the line the command line would print;
`NonFiniteLossError` and `Interrupted` end a run as on the command line.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

import jax
import ml_collections
import orbax.checkpoint as ocp
import numpy as np

import experiments
from data.dataset import DataError, Dataset
from experiments import UnknownExperimentError
from train import overrides, runtime, workdir as workdirs
from train.checkpoint import CheckpointError, Checkpointer
from train.errors import ConfigError, Interrupted, NonFiniteLossError
from train.overrides import OverrideError

__all__ = ["experiment", "run", "restore", "Restored", "read_checkpoint", "ConfigError", "DataError", "OverrideError",
           "UnknownExperimentError", "CheckpointError", "NonFiniteLossError", "Interrupted"]


def experiment(name: str, **values: Any) -> ml_collections.ConfigDict:
    """The config of experiment `name`, with `values` set by dotted key (`**{"model.hidden": 64}`).

    The config is locked against new keys; set existing ones as attributes (`config.num_steps = 200`).
    """
    config = experiments.get_config(name)
    overrides.apply(config, [(key, str(value)) for key, value in values.items()])
    return config


@functools.cache
def _start_runtime() -> None:
    runtime.configure_cpu()  # takes effect only if JAX has not started yet (a fresh kernel)
    runtime.enable_compilation_cache()


def run(config: ml_collections.ConfigDict, workdir: str | os.PathLike, progress: str = "auto") -> dict[str, Any]:
    """Trains `config` in `workdir` (resuming a run there) and returns its summary, as `python -m train` does.

    `progress`: 'auto' draws a notebook or terminal bar (`tqdm.auto`), 'plain' prints one line per log step.
    """
    from train import loop

    _start_runtime()
    return loop.train_and_evaluate(config, workdir, progress=progress)


@dataclasses.dataclass
class Restored:
    """A finished or checkpointed run rebuilt from its workdir."""

    workdir: Path
    config: ml_collections.ConfigDict
    dataset: Dataset
    model: Any
    task: Any
    state: Any          # the newest checkpoint's TrainState (or, restored with which="best", the selected one)
    step: int

    def initial_state(self) -> Any:
        """The same architecture at step 0, drawn from the run's seed exactly as training drew it."""
        from train.setup import initial_state
        return initial_state(self.config, self.dataset)[2]

    def predict(self, inputs: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """The model's eval-mode outputs (logits, or regression values) for a batch of inputs."""
        import jax.numpy as jnp

        from train.step import eval_outputs
        batch = {"inputs": jnp.asarray(inputs)} | ({"lengths": jnp.asarray(lengths)} if lengths is not None else {})
        return np.asarray(eval_outputs(self.state, batch, self.task))

    def evaluate(self, split: str = "test") -> dict[str, float]:
        """The task's metrics on one split of the run's data set."""
        from data import resident
        if split not in self.dataset.splits:
            raise DataError(f"data set {self.dataset.name!r} has no split {split!r}; splits: {sorted(self.dataset.splits)}")
        return self.task.evaluate(self.state, resident.eval_batches(self.dataset.splits[split],
                                                                    self.config.eval_batch_size))


def recorded_config(workdir: Path) -> ml_collections.ConfigDict:
    """The config a run recorded in its workdir, rebuilt on this version's schema."""
    recorded = workdirs.recorded_config(workdir)
    if recorded is None:
        raise ConfigError(f"{workdir} holds no config.json: not a layerwise run directory")
    config = experiments.get_config(recorded["experiment"])
    overrides.apply_recorded(config, recorded)
    return config


CHECKPOINTS = {"latest": "checkpoints", "best": "best"}  # which state -> its directory in the workdir


def restore(workdir: str | os.PathLike, which: str = "latest") -> Restored:
    """Rebuilds the run in `workdir` from its config.json and a checkpoint (nothing is written).

    `which="latest"`: the newest regular checkpoint. `which="best"`: the state model selection kept
    (WORKDIR/best, written with `select.metric`): the one the run's final evaluation scored.
    """
    from train.logs import say
    from train.setup import initial_state

    if which not in CHECKPOINTS:
        raise ConfigError(f"restore(which={which!r}): which must be one of {', '.join(CHECKPOINTS)}")
    _start_runtime()
    workdir = Path(workdir)
    config = recorded_config(workdir)
    import data
    dataset = data.load(config.data)
    model, task, state = initial_state(config, dataset)
    directory = workdir / CHECKPOINTS[which]
    if which == "best" and not directory.is_dir():
        raise CheckpointError(f"{directory} does not exist: the run kept no best state (run it with select.metric)")
    checkpointer = Checkpointer(directory, config.keep_checkpoints, warn=say, create=False)
    try:
        if not checkpointer.steps():
            raise CheckpointError(f"{directory} holds no checkpoint: the run has not saved one yet")
        state, step = checkpointer.restore(state)
    finally:
        checkpointer.close()
    return Restored(workdir, config, dataset, model, task, state, step)


def read_checkpoint(directory: str | os.PathLike, step: int | None = None) -> tuple[int, Any]:
    """A saved state as plain nested dicts of arrays (no model needed): for inspection, tools and tests."""
    with ocp.CheckpointManager(Path(directory).absolute(), item_handlers=ocp.StandardCheckpointHandler()) as manager:
        step = manager.latest_step() if step is None else step
        if step is None:
            raise CheckpointError(f"no checkpoint in {directory}")
        # Restored onto this process's first device, whatever mesh or process count wrote it.
        device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
        target = jax.tree.map(lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=device),
                              manager.item_metadata(step).tree)
        return step, manager.restore(step, args=ocp.args.StandardRestore(target))
