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
    workdir = tmp_path_factory.mktemp("run")
    result = subprocess.run([sys.executable, "-m", "train", "--experiment=digits_cnn", f"--workdir={workdir}",
                             *[f"--config.{k}={v}" for k, v in tiny_overrides().items()]],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
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


def test_compare_draws_layer_to_layer_cka(trained):
    out = trained / "compare"
    result = _analysis("--compare", str(trained), str(trained), f"--out={out}", "--cka_examples=100")
    assert result.returncode == 0, result.stderr
    (json_path,) = out.glob("cka_vs_*.json")
    compared = json.loads(json_path.read_text())
    assert compared["rows"] == compared["columns"] == LAYERS
    np.testing.assert_allclose(np.diag(compared["cka"]), 1.0, atol=1e-3)   # a run against itself
    assert json_path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def _bad_inputs(trained: Path, tmp: Path) -> dict[str, tuple[list[str], str]]:
    no_checkpoint = tmp / "no_checkpoint"
    no_checkpoint.mkdir()
    shutil.copy(trained / "config.json", no_checkpoint / "config.json")
    no_data = tmp / "no_data"
    shutil.copytree(trained, no_data, ignore=shutil.ignore_patterns("analysis", "compare"))
    recorded = json.loads((no_data / "config.json").read_text())
    recorded["config"]["data"].update(name="fashion_mnist", source_dir=str(tmp / "nowhere"))
    (no_data / "config.json").write_text(json.dumps(recorded))
    return {
        "no run": ([f"--workdir={tmp / 'empty'}"], "holds no run"),
        "no checkpoint": ([f"--workdir={no_checkpoint}"], "has no checkpoint yet"),
        "unknown layer": ([f"--workdir={trained}", "--layers=conv9"],
                          "unknown layer 'conv9'; layers of this run: input, conv1, conv2, dense1, logits"),
        "data missing": ([f"--workdir={no_data}"], "is not available: data set 'fashion_mnist'"),
        "compare one run": (["--compare", str(trained)], "--compare takes exactly two run directories"),
    }


def test_bad_input_is_one_line_and_exit_2(trained, tmp_path):
    (tmp_path / "empty").mkdir()
    cases = _bad_inputs(trained, tmp_path)
    processes = {name: subprocess.Popen([sys.executable, "-m", "analysis", *args], cwd=ROOT, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for name, (args, _) in cases.items()}
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=600)
        lines = stderr.strip().splitlines()
        assert process.returncode == 2, (name, stderr)
        assert len(lines) == 1 and lines[0].startswith("error: ") and cases[name][1] in lines[0], (name, stderr)
