"""Shared test setup: the same CPU settings as the command line, a private compile cache, tiny configs."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))



def _private_dir(variable: str, prefix: str) -> None:
    """Point `variable` at a fresh directory for this test session, removed when it ends (a session leaves
    nothing behind in /tmp); a value the caller set is used as given and kept."""
    if variable not in os.environ:
        os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, os.environ[variable], ignore_errors=True)


_private_dir("LAYERWISE_COMPILATION_CACHE", "layerwise-test-cache-")
# Prepared data sets: one private cache per test session (prepared on first use, then shared by all tests).
_private_dir("LAYERWISE_DATA_DIR", "layerwise-test-data-")

from train import runtime  # noqa: E402

runtime.configure_cpu()


def tiny_overrides(**extra: object) -> dict[str, object]:
    """A digits_cnn small enough to train in a second: the shape of every CLI and loop test."""
    values = {"model.features": (8, 16), "model.hidden": 32, "num_steps": 60, "batch_size": 32,
              "log_every": 10, "checkpoint_every": 20, "eval_batch_size": 256}
    values.update(extra)
    return values


@pytest.fixture
def tiny_config():
    """digits_cnn with `tiny_overrides()` applied."""
    import experiments
    from train import overrides

    config = experiments.get_config("digits_cnn")
    overrides.apply(config, [(k, str(v)) for k, v in tiny_overrides().items()])
    return config
