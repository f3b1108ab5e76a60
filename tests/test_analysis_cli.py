"""`python -m analysis` as a user runs it, on a short trained run: outputs, cross-run CKA and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from conftest import ROOT, tiny_overrides

LAYERS = ["input", "conv1", "conv2", "dense1", "logits"]
SMALL = ["--train_examples=400", "--cka_examples=120", "--tsne_examples=60"]


def _analysis(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A tiny digits_cnn trained in this process (the same files as `python -m train`)."""
    import layerwise
    workdir = tmp_path_factory.mktemp("run")
    layerwise.run(layerwise.experiment("digits_cnn", **tiny_overrides()), workdir, progress="plain")
    return workdir


def test_analysis_writes_layers_json_pngs_and_tensorboard(trained):
    events_before = set((trained / "tensorboard").glob("events.*"))
    result = _analysis(f"--workdir={trained}", *SMALL)
    assert result.returncode == 0, result.stderr
    report = json.loads((trained / "analysis" / "layers.json").read_text())
    assert [e["name"] for e in report["layers"]] == LAYERS
    assert report["step"] == 60 and report["examples"]["train"]["count"] == 400
    assert report["examples"]["test"]["count"] == 359                      # the whole test split
    for entry in report["layers"]:
        assert {"shape", "probe_train_accuracy", "probe_test_accuracy", "init_test_accuracy"} <= set(entry)
        assert 0.0 <= entry["probe_test_accuracy"] <= 1.0 and len(entry["cka"]["trained"]) == len(LAYERS)
        assert entry["cka"]["trained"][LAYERS.index(entry["name"])] == pytest.approx(1.0, abs=1e-3)
    by_name = {e["name"]: e for e in report["layers"]}
    assert by_name["conv1"]["shape"] == [8, 8, 8] and by_name["dense1"]["shape"] == [32]
    assert by_name["dense1"]["probe_test_accuracy"] > 0.8                   # a trained layer reads the digit
    assert report["logits_max_abs_difference"] == pytest.approx(0.0, abs=1e-5)
    summary = json.loads((trained / "summary.json").read_text())
    assert report["model_test_accuracy"] == pytest.approx(summary["eval"]["accuracy"], abs=1e-6)
    assert set(report["pictures"]) >= {"probes.png", "cka.png", "filters.png", "top_inputs.png", "pca.png",
                                       "tsne.png"}
    for name in report["pictures"]:
        path = trained / "analysis" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = matplotlib.image.imread(str(path))
        assert image.ndim == 3 and min(image.shape[:2]) > 50 and np.ptp(image) > 0   # decodable, not blank
    assert set((trained / "tensorboard").glob("events.*")) - events_before   # logged to the run's TensorBoard
    assert "| conv1 | 8x8x8 | grid |" in result.stdout


def test_compare_draws_layer_to_layer_cka(trained, tmp_path):
    from analysis import compare, run as runs
    from analysis.layers import Options
    run = runs.restore(trained)
    compared = compare.compare(run, run, Options(cka_examples=100))
    assert compared["rows"] == compared["columns"] == LAYERS
    np.testing.assert_allclose(np.diag(compared["cka"]), 1.0, atol=1e-3)   # a run against itself
    assert compare.draw(compared, tmp_path / "cka.png").read_bytes()[:4] == b"\x89PNG"


def _no_checkpoint(trained: Path, tmp: Path) -> Path:
    directory = tmp / "no_checkpoint"
    directory.mkdir()
    shutil.copy(trained / "config.json", directory / "config.json")
    return directory


def _no_data(trained: Path, tmp: Path) -> Path:
    directory = tmp / "no_data"
    shutil.copytree(trained, directory, ignore=shutil.ignore_patterns("analysis"))
    recorded = json.loads((directory / "config.json").read_text())
    recorded["config"]["data"].update(name="npz", path=str(tmp / "deleted.npz"))   # a data file since deleted
    (directory / "config.json").write_text(json.dumps(recorded))
    return directory


def test_bad_input_is_one_line_and_exit_2(trained, tmp_path):
    result = _analysis(f"--workdir={_no_checkpoint(trained, tmp_path)}")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "holds no checkpoint" in lines[0], result.stderr


def test_every_bad_input_raises_an_error_the_command_reports_in_one_line(trained, tmp_path):
    """What the command turns into `error: <message>` and exit 2 (the case above runs it end to end)."""
    from analysis import run as runs
    from analysis.layers import AnalysisError, Options, analyse
    (tmp_path / "empty").mkdir()
    cases = {tmp_path / "empty": "holds no config.json", _no_checkpoint(trained, tmp_path): "holds no checkpoint",
             _no_data(trained, tmp_path): f"--config.data.path={tmp_path / 'deleted.npz'} does not exist"}
    for workdir, expected in cases.items():
        with pytest.raises(runs.ERRORS) as error:
            runs.restore(workdir)
        assert expected in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(AnalysisError, match="^unknown layer 'conv9'; layers of this run: input, conv1, conv2, "
                                            "dense1, logits$"):
        analyse(runs.restore(trained), Options(layers=("conv9",)))


def test_a_sequence_classifier_is_probed_with_its_lengths_and_along_time(tmp_path):
    """A recurrent run (variable-length sequences): layers, the logits as the model computes them, time curves."""
    import types

    import data
    import layerwise
    from analysis.layers import Options, analyse
    from train.setup import initial_state
    config = layerwise.experiment("japanese_vowels_gru", **{"model.hidden": 8})
    dataset = data.load(config.data)
    model, task, state = initial_state(config, dataset)
    run = types.SimpleNamespace(workdir=tmp_path, config=config, dataset=dataset, model=model, task=task,
                                state=state, step=0, initial_state=lambda: state)
    report = analyse(run, Options(train_examples=120, cka_examples=60, time_points=3)).report
    assert [e["name"] for e in report["layers"]] == ["input", "rnn1", "logits"]
    assert report["logits_max_abs_difference"] == pytest.approx(0.0, abs=1e-5)
    assert len(report["time"]["rnn1"]["trained"]) == 3 and len(report["time"]["input"]["raw input"]) == 3
