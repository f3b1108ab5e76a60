"""Model selection on validation: the best evaluated state is the one finally scored, patience stops early,
and an interrupted run resumed makes exactly the uninterrupted run's choices."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from train import hooks, loop
from layerwise import read_checkpoint as read


def _selecting(config, metric="validation.loss", patience=0, num_steps=120):
    config.num_steps, config.eval_every, config.log_every, config.checkpoint_every = num_steps, 20, 20, 40
    config.select.metric, config.select.patience = metric, patience
    return config


def _validation(workdir: Path) -> list[dict]:
    lines = (workdir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == "validation" and "selected_step" not in r]


def test_the_best_validation_state_is_saved_and_scored(tiny_config, tmp_path):
    summary = loop.train_and_evaluate(_selecting(tiny_config), tmp_path)
    history = _validation(tmp_path)
    assert [r["step"] for r in history] == [20, 40, 60, 80, 100, 120]  # the last step is a candidate too
    best = min(history, key=lambda r: (r["loss"], r["step"]))
    assert summary["selected"] == {"metric": "validation.loss", "step": best["step"], "value": best["loss"],
                                   "stopped_early": False}
    assert read(tmp_path / "best")[0] == best["step"]
    np.testing.assert_allclose(summary["splits"]["validation"]["loss"], best["loss"], rtol=1e-6)
    # From Python: which="best" rebuilds the scored state, the default the newest regular checkpoint.
    import layerwise
    chosen, latest = layerwise.restore(tmp_path, which="best"), layerwise.restore(tmp_path)
    assert (chosen.step, latest.step) == (best["step"], 120)
    np.testing.assert_allclose(chosen.evaluate("test")["loss"], summary["eval"]["loss"], rtol=1e-5)
    inputs = chosen.dataset.splits["test"].inputs[:8]
    assert not np.allclose(chosen.predict(inputs), latest.predict(inputs)) or best["step"] == 120
    with pytest.raises(layerwise.ConfigError, match="which must be one of latest, best"):
        layerwise.restore(tmp_path, which="first")


def test_patience_stops_after_that_many_evaluations_without_improvement(tiny_config, tmp_path):
    tiny_config.optimizer.learning_rate = 0.0  # nothing improves after the first evaluation
    summary = loop.train_and_evaluate(_selecting(tiny_config, "validation.accuracy", patience=2), tmp_path)
    assert summary["steps"] == 60 and summary["selected"]["step"] == 20 and summary["selected"]["stopped_early"]
    again = loop.train_and_evaluate(tiny_config, tmp_path)  # the same command again: already stopped
    assert again["steps"] == 60 and again["selected"] == summary["selected"]


def test_an_interrupted_selecting_run_resumes_to_the_uninterrupted_choice(tiny_config, tmp_path, monkeypatch):
    reference = loop.train_and_evaluate(_selecting(tiny_config), tmp_path / "reference")
    original = hooks.Checkpoint.__call__

    def killed_at_100(self, p):  # after the checkpoint at 80 and the evaluation (and any best saved) at 100
        if p.step == 100:
            raise KeyboardInterrupt
        original(self, p)

    monkeypatch.setattr(hooks.Checkpoint, "__call__", killed_at_100)
    with pytest.raises(KeyboardInterrupt):
        loop.train_and_evaluate(tiny_config, tmp_path / "resumed")
    losses = {r["step"]: r["loss"] for r in _validation(tmp_path / "reference")}
    assert losses[100] < min(losses[s] for s in (20, 40, 60, 80))  # so a best newer than step 80 was saved
    assert read(tmp_path / "resumed" / "best")[0] == 100 and read(tmp_path / "resumed" / "checkpoints")[0] == 80
    monkeypatch.setattr(hooks.Checkpoint, "__call__", original)
    resumed = loop.train_and_evaluate(tiny_config, tmp_path / "resumed")
    assert resumed["resumed_from_step"] == 80
    assert resumed["selected"] == reference["selected"] and resumed["eval"] == reference["eval"]
    for a, b in zip(jax.tree.leaves(read(tmp_path / "reference" / "best")[1]["params"]),
                    jax.tree.leaves(read(tmp_path / "resumed" / "best")[1]["params"]), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("metric, patience, eval_every, message", [
    ("accuracy", 0, 20, "needs the form validation.NAME"),
    ("validation.accuracy", 0, 0, "eval_every > 0"),
    ("", 3, 20, "select.patience=3 needs select.metric"),
    ("validation.f1", 0, 20, "validation reports"),
])
def test_bad_selection_settings_are_named(tiny_config, tmp_path, metric, patience, eval_every, message):
    tiny_config.select.metric, tiny_config.select.patience, tiny_config.eval_every = metric, patience, eval_every
    with pytest.raises(loop.ConfigError, match=message):
        loop.train_and_evaluate(tiny_config, tmp_path)
