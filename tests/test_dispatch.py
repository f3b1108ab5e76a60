"""Many compiled calls over 8 simulated CPU devices run to the end instead of deadlocking XLA:CPU.

Without the bound on queued calls in train/fit.py (`QUEUE_BOUND`) the README's 8-device command aborts on a 2-core machine: the
host queues more than 32 calls per device, the 33rd launch waits inside the CPU client's 8-thread
pool, and the all-reduce rendezvous of an earlier call never completes (exit 134 after XLA's 40 s
timeout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

EIGHT_DEVICES = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


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
