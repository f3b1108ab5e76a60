"""The train loop in-process: it learns, it is deterministic, fused equals per-step, NaN stops it."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from train import loop
from layerwise import read_checkpoint as read


def _params(workdir):
    return read(workdir / "checkpoints")[1]["params"]


def _assert_identical(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_short_run_learns_and_writes_every_artifact(tiny_config, tmp_path):
    summary = loop.train_and_evaluate(tiny_config, tmp_path)
    assert summary["steps"] == 60 and summary["experiment"] == "digits_cnn"
    assert summary["eval"]["accuracy"] > 0.5  # chance is 0.1
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    assert [r["step"] for r in train] == [10, 20, 30, 40, 50, 60]
    assert set(train[0]) == {"step", "split", "loss", "accuracy", "learning_rate", "examples_per_sec"}
    assert train[-1]["loss"] < train[0]["loss"]
    assert {r["split"] for r in records} == {"train", "validation", "test"}
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["config"]["num_steps"] == 60 and saved["seed"] == 0
    assert saved["device_count"] >= 1 and saved["versions"]["jax"]
    assert any((tmp_path / "tensorboard").iterdir())
    assert read(tmp_path / "checkpoints")[0] == 60


def test_same_seed_gives_bit_identical_parameters(tiny_config, tmp_path):
    loop.train_and_evaluate(tiny_config, tmp_path / "a")
    loop.train_and_evaluate(tiny_config, tmp_path / "b")
    _assert_identical(_params(tmp_path / "a"), _params(tmp_path / "b"))


def test_other_seed_gives_other_parameters(tiny_config, tmp_path):
    loop.train_and_evaluate(tiny_config, tmp_path / "a")
    tiny_config.seed = 1
    loop.train_and_evaluate(tiny_config, tmp_path / "b")
    assert not np.array_equal(_params(tmp_path / "a")["Dense_1"]["kernel"], _params(tmp_path / "b")["Dense_1"]["kernel"])


def test_scan_fused_steps_equal_per_step_training(tiny_config, tmp_path):
    tiny_config.model.dropout = 0.0  # keep the comparison about the loop, not about RNG plumbing
    loop.train_and_evaluate(tiny_config, tmp_path / "per_step")
    tiny_config.steps_per_call = 5
    loop.train_and_evaluate(tiny_config, tmp_path / "fused")
    for x, y in zip(jax.tree.leaves(_params(tmp_path / "per_step")), jax.tree.leaves(_params(tmp_path / "fused"))):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def test_rerun_of_a_finished_run_resumes_at_the_end(tiny_config, tmp_path):
    first = loop.train_and_evaluate(tiny_config, tmp_path)
    again = loop.train_and_evaluate(tiny_config, tmp_path)
    assert again["resumed_from_step"] == 60 and again["eval"] == first["eval"]
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps.count(10) == 1  # nothing logged twice


def test_resuming_with_a_different_config_is_refused(tiny_config, tmp_path):
    loop.train_and_evaluate(tiny_config, tmp_path)
    tiny_config.optimizer.learning_rate = 0.5
    with pytest.raises(loop.ConfigError, match=r"optimizer.learning_rate: 0.002 -> 0.5"):
        loop.train_and_evaluate(tiny_config, tmp_path)


def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tiny_config, tmp_path, monkeypatch):
    from train import call
    real_step = call.train_step

    def step_that_diverges_at_25(state, batch, task):  # state.step 24 is the 25th update
        new_state, metrics = real_step(state, batch, task)
        poison = jnp.where(state.step >= 24, jnp.nan, 1.0)
        new_state = new_state.replace(params=jax.tree.map(lambda p: p * poison, new_state.params))
        return new_state, {**metrics, "loss_sum": metrics["loss_sum"] * poison}

    monkeypatch.setattr(call, "train_step", step_that_diverges_at_25)
    with pytest.raises(loop.NonFiniteLossError, match=r"non-finite at step 25; .*last good checkpoint: step 20"):
        loop.train_and_evaluate(tiny_config, tmp_path)
    assert read(tmp_path / "checkpoints")[0] == 20
    params = read(tmp_path / "checkpoints", 20)[1]["params"]
    assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(params))
    assert not (tmp_path / "summary.json").exists()


def test_steps_per_call_must_divide_the_intervals(tiny_config, tmp_path):
    tiny_config.steps_per_call = 7
    with pytest.raises(loop.ConfigError, match="multiple of steps_per_call=7"):
        loop.train_and_evaluate(tiny_config, tmp_path)


def test_profile_steps_write_a_profiler_trace(tiny_config, tmp_path):
    tiny_config.profile_steps = 5
    loop.train_and_evaluate(tiny_config, tmp_path)
    assert list((tmp_path / "profile").rglob("*.xplane.pb"))


def test_model_that_cannot_take_the_data_is_a_clear_error_before_training(tiny_config, tmp_path):
    tiny_config.model = type(tiny_config.model)({"name": "rnn_lm", "cell": "lstm", "hidden": 8, "num_layers": 1,
                                                 "embed_dim": 4, "dropout": 0.0})
    with pytest.raises(loop.ConfigError, match=r"model 'rnn_lm' cannot take data set 'digits'.*\(8, 8, 1\)"):
        loop.train_and_evaluate(tiny_config, tmp_path)
    assert not (tmp_path / "checkpoints").exists() or not any((tmp_path / "checkpoints").iterdir())
