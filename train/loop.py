"""A run, read top to bottom: set it up from its config, fit it, finish it.

    setup   (train/setup.py)   config -> data, model, task, state (restored), the workdir's records
    fit     (train/fit.py)     the compiled train call, repeated, with periodic hooks (train/hooks.py)
    finish  (train/finish.py)  every held-out split evaluated, summary.json

Inside the compiled call: batch selection, the train step and metric accumulation. Outside it, only
at log/eval/checkpoint steps: pulling metrics to the host, writing logs, saving checkpoints and
reacting to signals.
"""

from __future__ import annotations

import os
from typing import Any

import ml_collections

from train.errors import ConfigError, Interrupted, NonFiniteLossError
from train.finish import finish
from train.fit import fit
from train.setup import setup, validate_config
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
