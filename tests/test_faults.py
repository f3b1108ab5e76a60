"""Faults a long run meets: repeated kills, a damaged newest checkpoint, a full disk."""

from __future__ import annotations

import errno
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from conftest import ROOT, tiny_overrides
from train import loop
from layerwise import read_checkpoint as read
from train.checkpoint import CheckpointError


def _params(workdir: Path) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(read(workdir / "checkpoints")[1]["params"])]


def _command(workdir: Path, **values: object) -> list[str]:
    return [sys.executable, "-m", "train", "--experiment=digits_cnn", f"--workdir={workdir}"] + \
        [f"--config.{k}={v}" for k, v in tiny_overrides(**values).items()]


def test_twenty_sigkills_at_random_points_end_identical_to_an_uninterrupted_run(tmp_path):
    values = {"num_steps": 4000, "checkpoint_every": 20, "log_every": 20}
    # The uninterrupted run goes on beside the killed one (the kills are mostly waiting).
    with open(tmp_path / "reference.log", "w") as log:  # a file: a pipe nobody reads until the end could fill up
        reference = subprocess.Popen(_command(tmp_path / "reference", **values), cwd=ROOT, stdout=log,
                                     stderr=subprocess.STDOUT)
    rng = random.Random(0)
    kills = 0
    while kills < 20:
        process = subprocess.Popen(_command(tmp_path / "killed", **values), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.5, 3.5))  # start-up takes ~2 s: kills land in start-up, training and saves
        if process.poll() is not None:
            break  # finished before this kill
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    final = subprocess.run(_command(tmp_path / "killed", **values), cwd=ROOT, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert kills == 20, f"the run finished after {kills} kills; lengthen it"
    assert reference.wait() == 0, (tmp_path / "reference.log").read_text()[-2000:]
    for a, b in zip(_params(tmp_path / "reference"), _params(tmp_path / "killed"), strict=True):
        np.testing.assert_array_equal(a, b)


def _damage(step_dir: Path) -> None:
    for path in step_dir.rglob("*"):
        if path.is_file() and path.stat().st_size > 0:
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_truncated_newest_checkpoint_falls_back_to_the_previous_one(tiny_config, tmp_path, capsys):
    tiny_config.schedule.name = "constant"  # so a 40-step run's first steps equal a 60-step run's
    loop.train_and_evaluate(tiny_config, tmp_path / "reference")
    tiny_config.num_steps = 40
    loop.validate_config(tiny_config)
    partial = tmp_path / "partial"
    loop.train_and_evaluate(tiny_config.copy_and_resolve_references(), partial)  # checkpoints at 20 and 40
    _damage(partial / "checkpoints" / "40")
    tiny_config.num_steps = 60
    (partial / "config.json").unlink()  # the same run, continued to 60 steps
    summary = loop.train_and_evaluate(tiny_config, partial)
    assert summary["resumed_from_step"] == 20
    assert "checkpoint at step 40" in capsys.readouterr().err
    for a, b in zip(_params(tmp_path / "reference"), _params(partial), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_no_readable_checkpoint_is_a_clear_error_exit_1(tmp_path):
    subprocess.run(_command(tmp_path, num_steps=20, checkpoint_every=20), cwd=ROOT, check=True, capture_output=True)
    _damage(tmp_path / "checkpoints" / "20")
    result = subprocess.run(_command(tmp_path, num_steps=20, checkpoint_every=20), cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert "error: no readable checkpoint in" in result.stderr.strip().splitlines()[-1]


def test_full_disk_when_saving_is_a_clear_error_and_keeps_the_last_good_checkpoint(tiny_config, tmp_path,
                                                                                      monkeypatch):
    original = ocp.CheckpointManager.save

    def save(self, step, *args, **kwargs):
        if step >= 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, step, *args, **kwargs)

    monkeypatch.setattr(ocp.CheckpointManager, "save", save)
    with pytest.raises(CheckpointError, match=r"at step 40 .*No space left on device; the last good checkpoint "
                                              r"\(step 20\) is kept"):
        loop.train_and_evaluate(tiny_config, tmp_path)
    assert read(tmp_path / "checkpoints")[0] == 20
