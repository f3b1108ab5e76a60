"""A run, read top to bottom: set it up from its config, fit it, finish it.

    setup   (train/setup.py)   config -> data, model, task, state (restored), the workdir's records
    fit     (train/fit.py)     the compiled train call, repeated, with periodic hooks (train/hooks.py)
    finish  (below)            every held-out split evaluated, summary.json

Inside the compiled call: batch selection, the train step and metric accumulation. Outside it, only
at log/eval/checkpoint steps: pulling metrics to the host, writing logs, saving checkpoints and
reacting to signals.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jax
import ml_collections

from models import num_params
from train import overrides, workdir
from train.errors import ConfigError, Interrupted, NonFiniteLossError
from train.fit import fit
from train.hooks import LoopState
from train.parallel import is_primary
from train.setup import Run, setup, validate_config
from train.workdir import CONFIG_FILE, SUMMARY_FILE

__all__ = ["train_and_evaluate", "ConfigError", "Interrupted", "NonFiniteLossError", "validate_config",
           "CONFIG_FILE", "SUMMARY_FILE"]


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str | os.PathLike,
                       progress: str = "terminal") -> dict[str, Any]:
    """Trains `config` in `workdir` (resuming from its newest checkpoint) and returns the summary.

    `progress`: 'terminal' (a bar on a terminal, else lines), 'auto' (also a notebook bar) or 'plain'.
    """
    run = setup(config, workdir)
    return finish(run, fit(run, progress))


def finish(run: Run, fitted: LoopState) -> dict[str, Any]:
    """The summary of a trained run: every split's metrics, the task's extras (a confusion matrix), timings."""
    config, dataset, state, selected = run.config, run.dataset, fitted.state, {}
    if run.selection:  # the state chosen on validation, not the last one
        state, selected = run.selection.best_state(state), {"selected": {
            "metric": run.config.select.metric, "step": run.selection.best_step, "value": run.selection.best_value,
            "stopped_early": run.selection.stop}}
        run.selection.checkpointer.close()
    results = {name: run.task.evaluate(state, batches) for name, batches in run.eval_data.items()}
    for name, metrics in results.items():  # with selection, marked with the step whose state they measure
        run.writer.write(fitted.step, name, {**metrics, **({"selected_step": run.selection.best_step}
                                                           if run.selection else {})})
    extras = {**selected, **run.task.extras(state, run.eval_data[dataset.eval_split], dataset)}
    run.writer.write_run_end(hparams=overrides.flatten(json.loads(config.to_json())),
                             final=results[dataset.eval_split], confusion=extras.get("confusion_matrix"),
                             step=fitted.step)
    run.writer.close()
    trained = fitted.step - run.start_step
    summary = {
        "experiment": config.experiment,
        "steps": fitted.step,
        "resumed_from_step": run.start_step,
        "train_seconds": fitted.train_seconds,
        "compile_seconds": fitted.compile_seconds,
        "first_step_seconds": fitted.first_step_seconds,
        "examples_per_sec": trained * config.batch_size / fitted.train_seconds if trained else 0.0,
        "num_params": num_params(state.params),
        "data_parallel_devices": run.parallel.size,
        "processes": jax.process_count(),
        "seed": config.seed,
        "eval_split": dataset.eval_split,
        "eval": results[dataset.eval_split],
        "splits": results,
        **extras,
    }
    if is_primary():
        workdir.write_json(run.workdir / workdir.SUMMARY_FILE, summary)
    return summary
