"""RESULTS.md is regenerated from run directories alone: table rows, plots, commands."""

import experiments
from conftest import tiny_overrides
from train import loop, overrides, results


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
