"""The benchmark's JAX paths run and train the model the experiment names (PyTorch is not a test dependency)."""

import os
import subprocess
import sys
import tomllib

import pytest

from benchmarks import compare
from conftest import ROOT


def test_per_step_flax_loop_and_layerwise_time_the_same_model():
    per_step = compare.run_flax_per_step(compare._config("digits_cnn"), windows=1, window_steps=3)
    layerwise = compare.run_layerwise(compare._config("digits_cnn"), windows=1, window_steps=3)
    assert per_step["parameters"] == layerwise["parameters"] == 151_306  # digits_cnn's CNN
    assert per_step["examples_per_sec"] > 0 and layerwise["examples_per_sec"] > 0


def test_per_step_flax_loop_carries_a_language_models_state():
    config = compare._config("shakespeare_lstm")
    config.model.hidden, config.model.embed_dim, config.batch_size = 16, 8, 4
    result = compare.run_flax_per_step(config, windows=1, window_steps=2)
    assert result["parameters"] == 8 * 96 + 4 * (8 * 16 + 16 * 16 + 16) + 16 * 96 + 96
    assert result["examples_per_sec"] > 0


def test_settings_change_every_paths_config_and_bad_ones_are_clear_errors():
    from train.overrides import OverrideError

    config = compare._config("shakespeare_lstm", ["model.cell=gru", "model.hidden=32"])
    assert (config.model.cell, config.model.hidden, config.schedule.name) == ("gru", 32, "constant")
    with pytest.raises(OverrideError, match="--set takes KEY=VALUE, got 'model.cell'"):
        compare._config("shakespeare_lstm", ["model.cell"])
    with pytest.raises(OverrideError, match="model.cells"):
        compare._config("shakespeare_lstm", ["model.cells=gru"])


def test_window_steps_default_per_experiment_and_yield_to_the_flag():
    assert compare.window_steps("fashion_mnist_resnet") < compare.window_steps("digits_cnn") == 100
    assert compare.window_steps("fashion_mnist_resnet", requested=7) == 7


def _benchmarks_without_torch(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """`python -m benchmarks` with torch unimportable: a `torch` package ahead of site-packages that fails
    to import exactly as an absent one does."""
    fake = tmp_path / "no_torch" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_missing_torch_is_one_line_naming_the_install_command(tmp_path):
    result = _benchmarks_without_torch(tmp_path, "--experiment=digits_cnn")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: PyTorch is not installed, and --paths includes torch_eager, torch_compile; install it with "
        "`pip install -e '.[bench]'` (torch 2.13.0, CPU build), or leave those paths out: "
        "--paths=layerwise,flax_per_step"]
    assert result.stdout == ""


def test_the_bench_extra_pins_the_torch_the_message_names():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["bench"] == ["torch==2.13.0"]
    assert compare.torch_missing(["layerwise", "flax_per_step"]) is None  # the JAX paths never need torch


def test_rounds_report_the_median_round_with_the_range_and_skip_failed_rounds():
    rounds = [{"examples_per_sec": 900.0, "peak_mb": 1}, {"error": "killed"}, {"examples_per_sec": 700.0, "peak_mb": 2},
              {"examples_per_sec": 800.0, "peak_mb": 3}]
    row = compare._over_rounds(rounds)
    assert row["examples_per_sec"] == 800.0 and row["peak_mb"] == 3 and row["rounds"] == [900.0, 700.0, 800.0]
    assert compare._rate(row) == "800 (700-900)"
    assert compare._over_rounds([{"error": "killed"}]) == {"error": "killed"}
