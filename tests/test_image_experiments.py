"""Image experiments beyond the zoo's own tests: the depth study, bf16 through the loop, the one-cycle
schedule, and the results page generated from run directories."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import experiments
import models
from train import loop, optim, overrides, results

IMAGE_MODELS = ("linear", "mlp", "cnn", "lenet", "vgg", "resnet")
SHORT = {"num_steps": 60, "log_every": 20, "checkpoint_every": 60, "eval_every": 0, "batch_size": 64,
         "eval_batch_size": 1000}


def _short_run(name: str, tmp_path: Path, **extra: object) -> dict:
    config = experiments.get_config(name)
    overrides.apply(config, [(k, str(v)) for k, v in {**SHORT, **extra}.items()])
    return loop.train_and_evaluate(config, tmp_path)


@pytest.mark.parametrize("name, extra, floor", [
    ("digits_linear", {}, 0.6),
    ("fashion_mnist_depth_mlp", {"model.depth": 3}, 0.5),
    ("fashion_mnist_depth_cnn", {"model.features": (8, 16, 32)}, 0.5),
])
def test_short_run_learns(name, extra, floor, tmp_path):
    summary = _short_run(name, tmp_path, **extra)
    assert summary["eval"]["accuracy"] > floor, summary["eval"]  # chance is 0.1


def test_bfloat16_config_trains_through_the_loop_with_float32_parameters(tmp_path):
    summary = _short_run("digits_cnn", tmp_path, **{"dtype": "bfloat16", "model.features": (8, 16),
                                                    "model.hidden": 32})
    assert summary["eval"]["accuracy"] > 0.6, summary["eval"]
    config = experiments.get_config("digits_cnn")
    overrides.apply(config, [("dtype", "bfloat16")])
    model = models.create(config.model, 10, config.dtype)
    variables = model.init(jax.random.key(0), jnp.zeros((1, 8, 8, 1)), train=False)
    assert {p.dtype for p in jax.tree.leaves(variables)} == {jnp.dtype(jnp.float32)}
    assert model.apply(variables, jnp.zeros((2, 8, 8, 1))).dtype == jnp.bfloat16


def test_onecycle_rises_to_the_peak_then_anneals_to_near_zero():
    config = experiments.get_config("fashion_mnist_cnn")
    lr = optim.schedule(config)
    steps, peak = config.num_steps, config.optimizer.learning_rate
    values = np.array([float(lr(s)) for s in range(0, steps, 50)])
    top = int(np.argmax(values)) * 50
    assert abs(top - 0.3 * steps) <= 50 and np.isclose(values.max(), peak, rtol=1e-3)
    assert values[0] < peak / 10 and float(lr(steps)) < peak / 1000
    assert np.all(np.diff(values[: top // 50 + 1]) >= 0) and np.all(np.diff(values[top // 50:]) <= 0)


@pytest.mark.parametrize("name", experiments.names())
def test_every_experiment_has_a_depth_and_a_description_for_the_results_page(name):
    flat = overrides.flatten(json.loads(experiments.get_config(name).to_json()))
    if flat["model.name"] in IMAGE_MODELS:
        assert results.weight_layers(flat) >= 1
        assert results._image_model_text(flat)


def test_depth_counts_layers_with_weights():
    vgg = {"model.name": "vgg", "model.features": (16, 32, 64), "model.convs_per_stage": 2, "model.hidden": 128}
    assert results.weight_layers(vgg) == 3 * 2 + 1 + 1
    assert results.weight_layers({"model.name": "mlp", "model.depth": 4}) == 5
    assert results.weight_layers({"model.name": "resnet", "model.blocks_per_stage": 3}) == 20


# --- the results page, from run directories written the way the loop writes them -----------------------

def _fake_run(root: Path, experiment: str, seed: int, accuracy: float, setting: dict | None = None,
              argv: list[str] | None = None) -> Path:
    config = experiments.get_config(experiment)
    overrides.apply(config, [(k, str(v)) for k, v in (setting or {}).items()] + [("seed", str(seed))])
    name = ",".join([f"{k}={v}" for k, v in (setting or {}).items()] + [f"seed={seed}"])
    directory = root / experiment / name
    directory.mkdir(parents=True)
    argv = argv or ["__main__.py", f"--experiment={experiment}", f"--workdir=runs/{experiment}", "--seeds=3"]
    (directory / "config.json").write_text(json.dumps({
        "config": json.loads(config.to_json()), "seed": seed, "platform": "cpu", "device_kind": "cpu",
        "device_count": 1, "cpu_count": 2, "command": argv}))
    steps = config.num_steps
    (directory / "metrics.jsonl").write_text("\n".join(json.dumps(m) for m in [
        {"step": steps // 2, "split": "train", "loss": 1.0, "accuracy": 0.5},
        {"step": steps, "split": "train", "loss": 0.5, "accuracy": accuracy},
        {"step": steps, "split": "test", "loss": 0.4, "accuracy": accuracy}]) + "\n")
    (directory / "summary.json").write_text(json.dumps({
        "experiment": experiment, "steps": steps, "train_seconds": 10.0 + seed, "num_params": 1234,
        "seed": seed, "eval_split": "test", "eval": {"accuracy": accuracy, "loss": 0.4},
        "confusion_matrix": (np.eye(10, dtype=int) * 9 + 1).tolist()}))
    return directory


def _table_row(page: str, start: str) -> list[str]:
    line = next(line for line in page.splitlines() if line.startswith(start))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_results_page_reports_mean_and_std_over_seeds_and_the_ordering(tmp_path):
    runs = tmp_path / "runs"
    for seed, acc in enumerate([0.90, 0.92, 0.94]):
        _fake_run(runs, "mnist5k_linear", seed, acc)
    for seed, acc in enumerate([0.95, 0.96]):
        _fake_run(runs, "mnist5k_mlp", seed, acc)
    _fake_run(runs, "mnist5k_cnn", 0, 0.99, argv=["python -m train", "--experiment=mnist5k_cnn", "--workdir=w",
                                                  "--config.model.features=(8, 16)"])
    for seed, acc in enumerate([0.97, 0.95]):          # here the MLP beats the CNN: the page must say no
        _fake_run(runs, "digits_mlp", seed, acc)
    _fake_run(runs, "digits_linear", 0, 0.90)
    _fake_run(runs, "digits_cnn", 0, 0.955)
    out, plot_dir = tmp_path / "experiments" / "RESULTS.md", tmp_path / "docs"
    page = results.write([runs], out, plot_dir, note="Shared machine.")
    assert out.read_text() == page

    linear = _table_row(page, "| `mnist5k_linear`")
    assert linear[1] == "softmax regression on the pixels"
    assert linear[3:] == ["3", "0.9200 ± 0.0200", "11 s", "cpu, 2 cores"]
    mlp = _table_row(page, "| `mnist5k_mlp`")
    assert mlp[1].startswith("MLP, 2 x 512 ReLU") and mlp[4] == f"0.9550 ± {np.std([0.95, 0.96], ddof=1):.4f}"
    assert _table_row(page, "| mnist5k |") == ["mnist5k", "0.9200 ± 0.0200 (3)", "0.9550 ± 0.0071 (2)",
                                               "0.9900 ± 0.0000 (1)", "yes"]
    assert _table_row(page, "| digits |")[-1] == "no"
    assert "Shared machine." in page
    # commands are shell-quoted as recorded; runs recorded as '__main__.py' read as 'python -m train'
    assert "python -m train --experiment=digits_linear --workdir=runs/digits_linear --seeds=3\n" in page
    assert "python -m train --experiment=mnist5k_cnn --workdir=w '--config.model.features=(8, 16)'\n" in page
    assert "Best on mnist5k: `mnist5k_cnn`, seed 0 reached test accuracy 0.9900" in page
    for name in ("results_digits_learning_curves.png", "results_mnist5k_learning_curves.png",
                 "results_confusion_mnist5k_cnn.png", "results_confusion_digits_mlp.png"):
        assert f"](../docs/{name})" in page  # relative to the page
        assert (plot_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_page_has_a_depth_table_and_plot_from_sweeps(tmp_path):
    runs = tmp_path / "runs"
    for depth, accs in {1: [0.80, 0.82], 4: [0.85, 0.83]}.items():
        for seed, acc in enumerate(accs):
            _fake_run(runs, "fashion_mnist_depth_mlp", seed, acc, {"model.depth": depth})
    for features, acc in {(16,): 0.84, (16, 32): 0.88}.items():
        _fake_run(runs, "fashion_mnist_depth_cnn", 0, acc, {"model.features": features})
    _fake_run(runs, "fashion_mnist_linear", 0, 0.84)
    page = results.write([runs], tmp_path / "RESULTS.md", tmp_path / "docs")
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == 5  # the linear run in the main table; each depth setting once, in the depth table
    row = _table_row(page, "| `fashion_mnist_depth_mlp` | model.depth=4 |")
    assert row[2].startswith("MLP, 4 x 256 ReLU")
    assert row[3:8] == ["5", "1,234", "2", "0.8400 ± 0.0141", "0.8500 / 0.8300"]
    row = _table_row(page, "| `fashion_mnist_depth_cnn` | model.features=(16, 32) |")
    assert row[2].startswith("conv16-pool-conv32-pool-dense128, BN") and row[3] == "4"
    assert _table_row(page, "| `fashion_mnist_depth_cnn` | model.features=(16,) |")[3] == "3"
    assert (tmp_path / "docs" / "results_accuracy_vs_depth.png").read_bytes()[:4] == b"\x89PNG"
    assert "](docs/results_accuracy_vs_depth.png)" in page


def test_results_without_runs_names_the_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no finished classification runs under {tmp_path}"):
        results.write([tmp_path], tmp_path / "R.md", tmp_path / "docs")
