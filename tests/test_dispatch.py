"""Many compiled calls over 8 simulated CPU devices run to the end instead of deadlocking XLA:CPU.

Without the bound in train/dispatch.py the README's 8-device command aborts on a 2-core machine: the
host queues more than 32 calls per device, the 33rd launch waits inside the CPU client's 8-thread
pool, and the all-reduce rendezvous of an earlier call never completes (exit 134 after XLA's 40 s
timeout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from train.dispatch import XLA_CPU_MAX_QUEUED, DispatchBound

EIGHT_DEVICES = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


class _Output:
    """Stands in for a call's output and counts how often the bound waited for it."""

    waits = 0

    def block_until_ready(self) -> "_Output":
        _Output.waits += 1
        return self


def test_bound_waits_once_per_limit_calls_and_only_on_cpu():
    _Output.waits = 0
    bound = DispatchBound(limit=4, platform="cpu")
    for _ in range(10):
        bound(_Output())
    assert _Output.waits == 2  # after calls 4 and 8
    bound(_Output(), calls=3)  # 2 + 3 queued: wait
    assert _Output.waits == 3 and bound.queued == 0
    accelerator = DispatchBound(limit=4, platform="gpu")
    for _ in range(10):
        accelerator(_Output())
    assert _Output.waits == 3  # only XLA:CPU needs the bound


def test_bound_must_stay_below_xlas_queue():
    with pytest.raises(ValueError, match="limit must lie in"):
        DispatchBound(limit=XLA_CPU_MAX_QUEUED)


def test_the_readme_eight_device_command_runs_its_full_length(tmp_path):
    """`XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m train --experiment=digits_cnn --workdir=W`:
    the default 1200 steps with validation every 200, as a new user runs it."""
    result = subprocess.run([sys.executable, "-m", "train", "--experiment=digits_cnn", f"--workdir={tmp_path}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, env=EIGHT_DEVICES)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 1200 and summary["data_parallel_devices"] == 8
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows if row["split"] == "validation"] == [200, 400, 600, 800, 1000, 1200]
    assert summary["eval"]["accuracy"] > 0.95  # it learned: 0.9889 when measured
