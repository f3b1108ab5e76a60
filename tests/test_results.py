"""RESULTS.md is regenerated from run directories alone: table rows, plots, commands."""

from pathlib import Path

import experiments
from conftest import tiny_overrides
from reports import results
from train import loop, overrides


def test_results_table_and_plots_from_runs(tmp_path):
    for name, extra in (("digits_mlp", {"model.width": 32}), ("digits_mlp", {"model.width": 32, "model.depth": 1})):
        for seed in (0, 1):
            config = experiments.get_config(name)
            values = {**tiny_overrides(), **extra, "seed": seed}
            if name == "digits_mlp":
                values = {k: v for k, v in values.items() if not k.startswith("model.") or k in extra}
            overrides.apply(config, [(k, str(v)) for k, v in values.items()])
            depth = extra.get("model.depth", 2)
            loop.train_and_evaluate(config, tmp_path / "runs" / f"{name}-{depth}" / f"seed={seed}")
    text = results.write(tmp_path / "runs", tmp_path / "RESULTS.md", tmp_path / "docs")
    assert (tmp_path / "RESULTS.md").read_text() == text
    table = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(table) == 2  # digits_mlp at two depths
    assert all("| 2 |" in line for line in table)  # two seeds each
    assert "digits_mlp" in text and "depth=1" in text and "±" in text
    names = {p.name for p in (tmp_path / "docs").iterdir()}
    assert "results_digits_learning_curves.png" in names
    assert "results_digits_mlp_accuracy_vs_depth.png" in names
    assert any(n.startswith("results_confusion_") for n in names)
    assert "```\npython -m pytest" in text  # the command each run recorded


def test_forecasts_and_language_models_get_their_own_metric_table(tmp_path):
    for seed in (0, 1):
        config = experiments.get_config("sunspots_ar")
        overrides.apply(config, [("num_steps", "40"), ("eval_every", "0"), ("checkpoint_every", "40"),
                                 ("seed", str(seed))])
        loop.train_and_evaluate(config, tmp_path / "runs" / "sunspots_ar" / f"seed={seed}")
    text = results.write(tmp_path / "runs", tmp_path / "RESULTS.md", tmp_path / "docs")
    rows = [line for line in text.splitlines() if line.startswith("| `sunspots_ar`")]
    assert len(rows) == 1 and "| regression |" in rows[0] and "RMSE " in rows[0] and "| 2 |" in rows[0]
    rmse = [results.report.load_run(tmp_path / "runs" / "sunspots_ar" / f"seed={s}")["summary"]["eval"]["rmse"]
            for s in (0, 1)]
    assert f"{sum(rmse) / 2:.4f}" in rows[0]
    assert (tmp_path / "docs" / "results_sunspots_learning_curves.png").stat().st_size > 0


def test_names_with_slashes_make_flat_file_names():
    assert results._file_part("uea/JapaneseVowels") == "uea_JapaneseVowels"
    assert results._file_part("eeg/scp1_shallow") == "eeg_scp1_shallow"


def test_only_the_project_page_writes_its_plots_to_docs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert results.default_images(Path("experiments/RESULTS.md")) == Path("docs")
    assert results.default_images(tmp_path / "experiments" / "RESULTS.md") == Path("docs")
    assert results.default_images(Path("/tmp/partial.md")) == Path("/tmp/partial_plots")
