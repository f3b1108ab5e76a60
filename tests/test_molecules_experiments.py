"""A short run of every molecule experiment learns: ROC AUC well above 0.5, logBB below the mean predictor."""

import json

import numpy as np
import pytest

import experiments
from experiments.molecules import _scores
from train import loop, overrides

# Small, quick versions: a seeded stratified subset of B3DB (data.subset) on the random split.
SHORT = {"data.split": "random", "data.subset": 400, "num_steps": 100, "log_every": 25, "checkpoint_every": 100,
         "batch_size": 32, "eval_batch_size": 64}
TINY = {
    "b3db_dmpnn": {"model.hidden": 32, "model.depth": 2, "optimizer.learning_rate": 3e-3, "data.subset": 1000,
                   "num_steps": 150},
    "b3db_gnn": {"model.hidden": 32, "model.layers": 2, "optimizer.learning_rate": 3e-3, "data.subset": 1000,
                 "num_steps": 150},
    "b3db_gru": {"model.hidden": 16, "model.embed_dim": 16, "optimizer.learning_rate": 5e-3, "data.max_tokens": 48},
    "b3db_cnn": {"model.features": (16, 16), "model.hidden": 16, "optimizer.learning_rate": 3e-3,
                 "data.max_tokens": 48},
    "b3db_mlp_morgan": {"model.width": 64},
    "b3db_mlp_descriptors": {"model.width": 64, "data.subset": 600, "batch_size": 16},
}
LOGBB = {
    "logbb_gnn": {"model.hidden": 16, "model.layers": 2, "optimizer.learning_rate": 3e-3},
    "logbb_mlp_morgan": {"model.width": 64},
    "logbb_mlp_descriptors": {"model.width": 64, "data.subset": 300, "batch_size": 16},
}


def _run(name, workdir, settings):
    config = experiments.get_config(f"molecules/{name}")
    overrides.apply(config, [(k, str(v)) for k, v in {**SHORT, **settings}.items()])
    summary = loop.train_and_evaluate(config, workdir)
    train = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in train if r["split"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    return summary


@pytest.mark.parametrize("name", sorted(TINY))
def test_b3db_experiment_learns(name, tmp_path):
    _run(name, tmp_path, TINY[name])
    test = _scores.metrics(_scores.load(tmp_path)["test"], "classification")
    assert test["roc_auc"] > 0.7, test              # chance is 0.5
    assert (tmp_path / _scores.SCORES_FILE).exists()


@pytest.mark.parametrize("name", sorted(LOGBB))
def test_logbb_experiment_beats_the_mean(name, tmp_path):
    summary = _run(name, tmp_path, LOGBB[name])
    scores = _scores.load(tmp_path)["test"]
    baseline = _scores.rmse(scores["labels"], np.full_like(scores["labels"], scores["labels"].mean()))
    assert summary["eval"]["rmse"] == pytest.approx(_scores.rmse(scores["labels"], scores["scores"]), rel=1e-4)
    assert summary["eval"]["rmse"] < 0.9 * baseline
