"""Data parallelism over a device mesh and over several processes gives the single-device result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np

from conftest import ROOT, tiny_overrides
from layerwise import read_checkpoint as read

EIGHT_DEVICES = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


def _flags(workdir: Path, **extra: object) -> list[str]:
    values = tiny_overrides(**{"schedule.name": "constant", **extra})
    return [f"--experiment=digits_cnn", f"--workdir={workdir}"] + [f"--config.{k}={v}" for k, v in values.items()]


def _train(args: list[str], env=None, launch: int = 0) -> subprocess.CompletedProcess:
    prefix = [sys.executable, "-m", "train.launch", f"--num_processes={launch}", "--"] if launch else \
        [sys.executable, "-m", "train"]
    result = subprocess.run(prefix + args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _summary(workdir: Path) -> dict:
    return json.loads((workdir / "summary.json").read_text())


def _params(workdir: Path) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(read(workdir / "checkpoints")[1]["params"])]


def test_eight_devices_reach_the_single_device_loss(tmp_path):
    _train(_flags(tmp_path / "eight", **{"mesh.data": 8}), EIGHT_DEVICES)
    _train(_flags(tmp_path / "one", **{"mesh.data": 1}), EIGHT_DEVICES)
    eight, one = _summary(tmp_path / "eight"), _summary(tmp_path / "one")
    assert eight["data_parallel_devices"] == 8 and one["data_parallel_devices"] == 1
    assert abs(eight["eval"]["loss"] - one["eval"]["loss"]) <= 1e-4 * one["eval"]["loss"]
    for a, b in zip(_params(tmp_path / "eight"), _params(tmp_path / "one"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_batch_that_does_not_split_over_the_devices_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "train", *_flags(tmp_path, batch_size=30)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=EIGHT_DEVICES)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: batch_size=30 does not divide evenly over the 8 devices of the data axis; use a multiple of 8")


def test_two_processes_train_to_the_one_process_result(tmp_path):
    two = _train(_flags(tmp_path / "two"), launch=2)
    _train(_flags(tmp_path / "one"))
    assert _summary(tmp_path / "two")["processes"] == 2
    assert two.stderr.count("digits_cnn: test accuracy") == 1  # only process 0 reports
    assert abs(_summary(tmp_path / "two")["eval"]["loss"] - _summary(tmp_path / "one")["eval"]["loss"]) <= 1e-5
    for a, b in zip(_params(tmp_path / "two"), _params(tmp_path / "one"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # two halves of the batch sum in another order


def test_two_process_checkpoint_restores_in_one_process_and_continues(tmp_path):
    _train(_flags(tmp_path / "two", num_steps=40, checkpoint_every=20), launch=2)
    continued = tmp_path / "continued"
    continued.mkdir()
    shutil.copytree(tmp_path / "two" / "checkpoints", continued / "checkpoints")
    resumed = _train(_flags(continued))  # 60 steps: resumes at 40 in one process
    assert "resuming digits_cnn from step 40" in resumed.stderr
    _train(_flags(tmp_path / "uninterrupted"))
    for a, b in zip(_params(continued), _params(tmp_path / "uninterrupted"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
