"""The README's "Your own data" commands run as written on the files `python -m data.examples` writes: with a
few steps of a small model, through `layerwise` in this process, and the image-folder one as a command line.
(The "From Python" example runs in tests/test_api.py.)"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

import layerwise
from conftest import ROOT
from data import examples

SHORT = {"num_steps": 20, "log_every": 10, "checkpoint_every": 20, "eval_every": 0}
SMALL = {"digits_cnn": {"model.features": (8, 16), "model.hidden": 32, "batch_size": 32},
         "tabular_mlp": {"model.width": 32},
         "series_gru": {"model.hidden": 16, "model.bidirectional": False}}


def _block(heading: str, language: str) -> str:
    """The first fenced block of `language` after the line `heading` in README.md."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(f"\n{heading}\n"):]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def _commands() -> list[list[str]]:
    return [shlex.split(line, comments=True) for line in _block("## Your own data", "bash").splitlines() if line.strip()]


def test_every_source_has_a_command():
    names = {arg.split("=", 1)[1] for argv in _commands() for arg in argv if arg.startswith("--config.data.name=")}
    assert names == {"npz", "csv", "image_folder", "ts", "uea/GunPoint"}


@pytest.fixture(scope="module")
def example_files(tmp_path_factory):
    """The directory the README's first command (`python -m data.examples mydata`) fills, as the working directory."""
    directory = tmp_path_factory.mktemp("own")
    first = _commands()[0]
    assert first[:3] == ["python", "-m", "data.examples"]
    examples.write_all(directory / first[3])
    return directory


@pytest.mark.parametrize("source", ["npz", "csv", "ts", "uea/GunPoint"])
def test_the_command_for_each_source_trains_on_the_example_files(source, example_files, monkeypatch):
    monkeypatch.chdir(example_files)
    argv = next(argv for argv in _commands() if f"--config.data.name={source}" in argv)
    assert argv[:3] == ["python", "-m", "train"]
    flags = dict(arg[2:].split("=", 1) for arg in argv[3:])
    name, workdir = flags.pop("experiment"), flags.pop("workdir")
    values = {key.removeprefix("config."): value for key, value in flags.items()} | SHORT | SMALL[name]
    summary = layerwise.run(layerwise.experiment(name, **values), workdir, progress="plain")
    assert summary["steps"] == 20 and 0.0 <= summary["eval"]["accuracy"] <= 1.0
    assert summary["class_names"] == {"npz": list("0123456789"), "csv": ["benign", "malignant"]}.get(source, ["1", "2"])


def test_the_image_folder_command_runs_on_the_command_line(example_files):
    command = next(argv for argv in _commands() if "--config.data.name=image_folder" in argv)
    argv = [sys.executable if arg == "python" else arg for arg in command]   # as a user types it
    extra = [f"--config.{key}={value}" for key, value in (SHORT | SMALL["digits_cnn"]).items()]
    result = subprocess.run(argv + extra, cwd=example_files, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "digits_cnn: test accuracy" in result.stderr
    summary = json.loads((example_files / "runs/own_images/summary.json").read_text())
    assert summary["class_names"] == list("0123456789") and summary["steps"] == 20
