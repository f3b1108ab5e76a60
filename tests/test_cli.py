"""The command line as a user runs it, in subprocesses: outputs, errors, signals and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from conftest import ROOT, tiny_overrides
from layerwise import read_checkpoint as read


def _command(workdir: Path | None, experiment: str = "digits_cnn", **overrides: object) -> list[str]:
    cmd = [sys.executable, "-m", "train", f"--experiment={experiment}"]
    if workdir is not None:
        cmd.append(f"--workdir={workdir}")
    return cmd + [f"--config.{k}={v}" for k, v in overrides.items()]


def _run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _params(workdir: Path) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(read(workdir / "checkpoints")[1]["params"])]


def test_end_to_end_writes_config_metrics_checkpoints_and_summary(tmp_path):
    result = _run(_command(tmp_path, **tiny_overrides()))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["experiment"] == "digits_cnn" and summary["steps"] == 60
    assert isinstance(summary["train_seconds"], float) and summary["train_seconds"] > 0
    assert set(summary["eval"]) >= {"accuracy", "loss"} and summary["eval"]["accuracy"] > 0.5
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["model"]["features"] == [8, 16]
    assert config["platform"] == "cpu" and config["device_kind"]
    assert {"jax", "flax", "optax"} <= set(config["versions"])
    assert (tmp_path / "metrics.jsonl").read_text().count('"split": "train"') == 6
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir() if p.name.isdigit()) == ["20", "40", "60"]
    # Not a terminal: one plain progress line per log step, no bar.
    assert result.stderr.count("step ") >= 6 and "\r" not in result.stderr


def test_list_prints_every_experiment():
    result = _run([sys.executable, "-m", "train", "--list"])
    assert result.returncode == 0
    assert "digits_cnn" in result.stdout and "digits_linear" in result.stdout
    listed = _run([sys.executable, "-m", "experiments"])
    assert listed.stdout == result.stdout


@pytest.mark.parametrize("args, message", [
    (["--experiment=digits_transformer", "--workdir=W"], "unknown experiment 'digits_transformer'; valid experiments: "),
    (["--experiment=digits_cnn", "--workdir=W", "--config.optimizer.lrr=1"], "unknown config key 'optimizer.lrr'"),
    (["--experiment=digits_cnn", "--workdir=W", "--config.num_steps=ten"], "config key 'num_steps' takes an int"),
    (["--experiment=digits_cnn", "--workdir=W", "--no_such_flag"], "Unknown command line flag 'no_such_flag'"),
    (["--workdir=W"], "--experiment is required; valid experiments: "),
    (["--experiment=digits_cnn"], "--workdir is required"),
    (["--experiment=digits_cnn", "--workdir=W", "--config.batch_size=100000"], "batch_size 100000 does not fit"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    args = [a.replace("=W", f"={tmp_path / 'w'}") for a in args]
    result = _run([sys.executable, "-m", "train", *args])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def _one_error_line(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert result.stdout == ""  # stopped before any data was read or prepared


def test_a_workdir_that_cannot_be_created_is_one_line(tmp_path):
    _one_error_line(_run(_command(Path("/proc/forbidden"))), "--workdir=/proc/forbidden cannot be created")


def test_a_workdir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    _one_error_line(_run(_command(tmp_path / "file")), "is a file, not a directory")
    _one_error_line(_run(_command(tmp_path / "file" / "run")), "cannot be created: Not a directory")


def test_a_workdir_on_a_read_only_file_system_is_one_line(tmp_path):
    """A read-only tmpfs mounted in a private mount namespace (root in a container, as in CI)."""
    mount = tmp_path / "readonly"
    mount.mkdir()
    command = " ".join(_command(mount / "run"))
    result = _run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o ro tmpfs {mount} && exec {command}"])
    _one_error_line(result, "cannot be created: Read-only file system")
    existing = tmp_path / "existing"
    (existing / "run").mkdir(parents=True)
    command = " ".join(_command(existing / "run"))
    result = _run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro {existing} {existing} && exec {command}"])
    _one_error_line(result, "is not writable: Read-only file system")


def test_nan_loss_exits_1_naming_the_step(tmp_path):
    result = _run(_command(tmp_path, **tiny_overrides(**{"optimizer.learning_rate": "nan"})))
    assert result.returncode == 1
    assert "error: loss became non-finite at step 2" in result.stderr
    assert not (tmp_path / "summary.json").exists()


def _start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(workdir: Path, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        steps = [int(p.name) for p in (workdir / "checkpoints").glob("*") if p.name.isdigit()]
        if steps:
            return max(steps)
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise TimeoutError("no checkpoint appeared")


LONG = tiny_overrides(num_steps=3000, checkpoint_every=50, log_every=50)


def test_sigterm_saves_a_checkpoint_and_exits_0(tmp_path):
    process = _start(_command(tmp_path, **LONG))
    _wait_for_checkpoint(tmp_path, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "checkpoint saved; run the same command to resume" in stderr
    step = int(stderr.split("at step ")[1].split(";")[0])
    assert read(tmp_path / "checkpoints")[0] == step
    assert not (tmp_path / "summary.json").exists()


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    process = _start(_command(tmp_path, **LONG))
    _wait_for_checkpoint(tmp_path, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "stopped by signal 2" in stderr and "Traceback" not in stderr
