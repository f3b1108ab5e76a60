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

# Every temporary file of the session, this process's and its subprocesses' (TMPDIR), goes under one
# directory removed when the session ends, so nothing is left in /tmp: not the prepared data sets
# (~0.5 GB), nor what libraries leave behind (tfds makes an empty `tmp*tfds` per data set it reads).
_SESSION_TMP = tempfile.mkdtemp(prefix="layerwise-test-")
atexit.register(shutil.rmtree, _SESSION_TMP, ignore_errors=True)
os.environ["TMPDIR"] = tempfile.tempdir = _SESSION_TMP
os.environ.setdefault("LAYERWISE_COMPILATION_CACHE", tempfile.mkdtemp(prefix="cache-"))
# Prepared data sets: one private cache per test session (prepared on first use, then shared by all tests).
os.environ.setdefault("LAYERWISE_DATA_DIR", tempfile.mkdtemp(prefix="data-"))

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
