"""Stage 3 of a run: evaluate every held-out split, record the results, and write summary.json."""

from __future__ import annotations

import json
from typing import Any

import jax

from models import num_params
from train import overrides, workdir
from train.fit import Fitted
from train.parallel import is_primary
from train.setup import Run


def finish(run: Run, fitted: Fitted) -> dict[str, Any]:
    """The summary of a trained run: every split's metrics, the task's extras (a confusion matrix), timings."""
    config, dataset = run.config, run.dataset
    results = {name: run.task.evaluate(fitted.state, batches) for name, batches in run.eval_data.items()}
    for name, metrics in results.items():
        run.writer.write(fitted.step, name, metrics)
    extras = run.task.extras(fitted.state, run.eval_data[dataset.eval_split], dataset.num_classes)
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
        "num_params": num_params(fitted.state.params),
        "data_parallel_devices": run.parallel.size,
        "processes": jax.process_count(),
        "seed": config.seed,
        "eval_split": dataset.eval_split,
        "eval": results[dataset.eval_split],
        "splits": results,
        **extras,
        **({"class_names": list(dataset.class_names)} if dataset.class_names and "confusion_matrix" in extras else {}),
    }
    if is_primary():
        workdir.write_json(run.workdir / workdir.SUMMARY_FILE, summary)
    return summary
