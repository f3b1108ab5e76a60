"""The run under analysis: `layerwise.restore`, with its step-0 state drawn once, since the probes, the
pictures and the EEG filter plots all compare against it."""

from __future__ import annotations

import functools
import os

import layerwise

# What a user can fix (no run there, no checkpoint, data not installed): one line, exit 2.
ERRORS = (layerwise.ConfigError, layerwise.DataError, layerwise.CheckpointError, layerwise.OverrideError,
          layerwise.UnknownExperimentError)


def restore(workdir: str | os.PathLike) -> layerwise.Restored:
    """The run in `workdir` at its newest checkpoint; `initial_state()` is computed on first use, then kept."""
    run = layerwise.restore(workdir)
    run.initial_state = functools.cache(run.initial_state)
    return run
