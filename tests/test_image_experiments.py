"""Image experiments beyond the zoo's own tests: the depth study, bf16 through the loop, augmentation,
optimisers and schedules, and the results page generated from run directories."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import experiments
import models
from data import augment
from reports import results
from train import loop, optim, overrides

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


def test_random_crop_is_a_shifted_window_of_the_padded_image_and_seeded():
    images = jax.random.uniform(jax.random.key(0), (32, 6, 5, 2))
    out = augment.random_crop(images, jax.random.key(1), padding=2)
    assert out.shape == images.shape
    padded = np.pad(np.asarray(images), ((0, 0), (2, 2), (2, 2), (0, 0)))
    offsets = set()
    for k in range(images.shape[0]):
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(padded[k, i:i + 6, j:j + 5], np.asarray(out[k]))]
        assert matches, f"example {k} is not a window of its padded image"
        offsets.add(matches[0])
    assert len(offsets) > 5  # offsets differ between examples
    np.testing.assert_array_equal(out, augment.random_crop(images, jax.random.key(1), padding=2))
    assert not np.array_equal(out, augment.random_crop(images, jax.random.key(2), padding=2))
    np.testing.assert_array_equal(augment.random_crop(images, jax.random.key(1), padding=0), images)


def test_random_flip_mirrors_about_half_of_the_images_left_right():
    images = jax.random.uniform(jax.random.key(0), (400, 4, 6, 1))
    out = np.asarray(augment.random_flip(images, jax.random.key(3)))
    same = np.all(out == np.asarray(images), axis=(1, 2, 3))
    mirrored = np.all(out == np.asarray(images)[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same ^ mirrored)
    assert 150 < mirrored.sum() < 250
    np.testing.assert_array_equal(out, augment.random_flip(images, jax.random.key(3)))


def _quadratic_loss_after(config_overrides: dict, steps: int = 100) -> tuple[float, float]:
    config = experiments.get_config("digits_linear")
    overrides.apply(config, [(k, str(v)) for k, v in {"num_steps": steps, **config_overrides}.items()])
    tx = optim.optimizer(config)
    params = {"w": jnp.zeros(4)}
    loss = lambda p: jnp.sum((p["w"] - jnp.arange(1.0, 5.0)) ** 2)  # noqa: E731

    def step(_, carry):
        params, state = carry
        updates, state = tx.update(jax.grad(loss)(params), state, params)
        return optax.apply_updates(params, updates), state

    final, _ = jax.jit(lambda p: jax.lax.fori_loop(0, steps, step, (p, tx.init(p))))(params)
    return float(loss(params)), float(loss(final))


@pytest.mark.parametrize("opt", [{"optimizer.name": "sgd", "optimizer.learning_rate": 0.05},
                                 {"optimizer.name": "sgd", "optimizer.learning_rate": 0.05, "optimizer.nesterov": True},
                                 {"optimizer.name": "adam", "optimizer.learning_rate": 0.1},
                                 {"optimizer.name": "adamw", "optimizer.learning_rate": 0.1}])
@pytest.mark.parametrize("schedule", ["constant", "cosine", "warmup_cosine", "onecycle"])
def test_every_optimizer_and_schedule_minimises_a_quadratic(opt, schedule):
    start, end = _quadratic_loss_after({**opt, "optimizer.weight_decay": 0.0, "schedule.name": schedule,
                                        "schedule.warmup_steps": 10})
    assert end < 0.05 * start, (start, end)


def test_gradient_clipping_bounds_the_update_and_weight_decay_shrinks_weights():
    config = experiments.get_config("digits_linear")
    overrides.apply(config, [("optimizer.name", "sgd"), ("optimizer.momentum", "0.0"), ("optimizer.learning_rate", "1.0"),
                             ("schedule.name", "constant"), ("optimizer.weight_decay", "0.0"),
                             ("optimizer.grad_clip_norm", "0.5")])
    tx = optim.optimizer(config)
    params = {"w": jnp.ones(3)}
    updates, _ = tx.update({"w": jnp.full(3, 100.0)}, tx.init(params), params)
    np.testing.assert_allclose(np.linalg.norm(updates["w"]), 0.5, rtol=1e-5)
    overrides.apply(config, [("optimizer.grad_clip_norm", "0.0"), ("optimizer.weight_decay", "0.1")])
    tx = optim.optimizer(config)
    updates, _ = tx.update({"w": jnp.zeros(3)}, tx.init(params), params)
    np.testing.assert_allclose(updates["w"], -0.1 * params["w"], rtol=1e-6)  # lr 1 x decay 0.1 x w


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
    with pytest.raises(FileNotFoundError, match=f"no finished runs under {tmp_path}"):
        results.write([tmp_path], tmp_path / "R.md", tmp_path / "docs")
