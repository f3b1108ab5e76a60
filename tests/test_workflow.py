"""Researcher workflow: sweeps (resumable), reports with PNG plots, exact re-runs from config.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from conftest import ROOT, tiny_overrides
from reports import report
from train import overrides, sweep
from layerwise import read_checkpoint as read

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SPEC = "optimizer.learning_rate=1e-3,3e-3;model.hidden=16,32"


def _train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "train", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def _tiny_args(**extra: object) -> list[str]:
    return [f"--config.{k}={v}" for k, v in tiny_overrides(**extra).items()]


def test_sweep_runs_the_grid_reports_it_and_skips_finished_runs_when_rerun(tmp_path):
    args = ["--experiment=digits_cnn", f"--workdir={tmp_path}", f"--sweep={SPEC}", "--seeds=2",
            *_tiny_args(num_steps=20, checkpoint_every=20)]
    first = _train(*args)
    assert first.returncode == 0, first.stderr
    runs = sorted(p.name for p in tmp_path.iterdir() if (p / "summary.json").exists())
    assert len(runs) == 8 and "optimizer.learning_rate=3e-3,model.hidden=32,seed=1" in runs

    table = (tmp_path / "report.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| digits_cnn")]
    assert len(rows) == 4  # 2 x 2 combinations, the 2 seeds of each averaged
    assert {tuple(row.split(" | ")[1:3]) for row in rows} == {("16", "0.001"), ("16", "0.003"),
                                                             ("32", "0.001"), ("32", "0.003")}
    assert all(row.split(" | ")[3] == "2" and "±" in row for row in rows)
    assert "model.hidden | optimizer.learning_rate" in first.stdout  # the table is printed too
    pngs = ["learning_curves.png", "accuracy_vs_model_hidden.png",
            "accuracy_vs_optimizer_learning_rate.png", "confusion_matrix.png"]
    for name in pngs:
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
        import matplotlib.pyplot as plt
        assert plt.imread(tmp_path / name).shape[0] > 100

    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/summary.json")}
    again = _train(*args)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("finished earlier, skipped") == 8
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/summary.json")} == stamps


def test_report_cli_on_a_single_run(tmp_path):
    from train import loop
    import experiments
    config = experiments.get_config("digits_cnn")
    overrides.apply(config, [(k, str(v)) for k, v in tiny_overrides().items()])
    loop.train_and_evaluate(config, tmp_path / "run")
    assert report.main([str(tmp_path / "run"), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "confusion_matrix.png").read_bytes()[:8] == PNG_SIGNATURE
    assert report.main([str(tmp_path / "empty")]) == 2
    validation = json.loads((tmp_path / "run" / "summary.json").read_text())["splits"]["validation"]
    table = report.write_report([tmp_path / "run"], tmp_path / "val", split="validation")
    assert "validation accuracy" in table and f"{validation['accuracy']:.4f} ± 0.0000" in table
    assert report.main([str(tmp_path / "run"), "--split=holdout", "--out", str(tmp_path / "val")]) == 2


def test_sweep_spec_parsing_and_errors():
    assert sweep.parse("a=1,2; b.c=(8,16),(16,32)") == [("a", ["1", "2"]), ("b.c", ["(8,16)", "(16,32)"])]
    for bad in ("a", "a=", "a=1;a=2"):
        with pytest.raises(overrides.OverrideError):
            sweep.parse(bad)


def test_bad_sweep_value_fails_before_any_run(tmp_path):
    result = _train("--experiment=digits_cnn", f"--workdir={tmp_path}", "--sweep=num_steps=10,many")
    assert result.returncode == 2 and "config key 'num_steps' takes an int, got 'many'" in result.stderr
    assert not any(tmp_path.iterdir())


def _params(workdir: Path):
    return jax.tree.leaves(read(workdir / "checkpoints")[1]["params"])


def test_from_config_reproduces_final_parameters_bit_for_bit(tmp_path):
    original = _train("--experiment=digits_cnn", f"--workdir={tmp_path / 'a'}", "--config.seed=7",
                      *_tiny_args(**{"optimizer.learning_rate": 0.004}))
    assert original.returncode == 0, original.stderr
    rerun = _train(f"--from_config={tmp_path / 'a' / 'config.json'}", f"--workdir={tmp_path / 'b'}")
    assert rerun.returncode == 0, rerun.stderr
    recorded = json.loads((tmp_path / "b" / "config.json").read_text())["config"]
    assert recorded == json.loads((tmp_path / "a" / "config.json").read_text())["config"]
    for x, y in zip(_params(tmp_path / "a"), _params(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_from_config_errors_are_one_line(tmp_path):
    missing = _train(f"--from_config={tmp_path / 'nope.json'}", f"--workdir={tmp_path / 'w'}")
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    damaged = _train(f"--from_config={tmp_path / 'bad.json'}", f"--workdir={tmp_path / 'w'}")
    assert damaged.returncode == 2 and "is not a layerwise config.json" in damaged.stderr
