"""A short run of every sequence experiment learns (tiny configs; the full runs are in experiments/results)."""

import json
import math

import pytest

import experiments
from data.config import complete
from train import loop, overrides

TINY = {
    "shakespeare_lstm": {"model.hidden": 32, "model.embed_dim": 16, "num_steps": 80, "batch_size": 16,
                         "optimizer.learning_rate": 1e-2, "log_every": 20, "eval_every": 0, "checkpoint_every": 80},
    "rotten_tomatoes_lstm": {"model.hidden": 16, "model.embed_dim": 16, "num_steps": 150, "log_every": 50,
                             "optimizer.learning_rate": 1e-2,
                             "eval_every": 0, "checkpoint_every": 150, "model.embed_dropout": 0.0,
                             "model.dropout": 0.0, "eval_batch_size": 1024},
    "rotten_tomatoes_bow": {"num_steps": 150, "log_every": 50, "eval_every": 0, "checkpoint_every": 150},
    "digits_rnn": {"model.hidden": 32, "num_steps": 150, "log_every": 50, "eval_every": 0, "checkpoint_every": 150},
    "sunspots_lstm": {},
    "japanese_vowels_gru": {"model.hidden": 32, "num_steps": 120, "log_every": 40, "eval_every": 0,
                            "checkpoint_every": 120},
    "sunspots_ar": {"num_steps": 500, "eval_every": 0, "checkpoint_every": 500},
}


def _run(name, workdir, **extra):
    config = experiments.get_config(name)
    overrides.apply(config, [(k, str(v)) for k, v in {**TINY[name], **extra}.items()])
    summary = loop.train_and_evaluate(config, workdir)
    train = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in train if r["split"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    return summary


def test_shakespeare_lstm_learns_characters(tmp_path):
    summary = _run("shakespeare_lstm", tmp_path)
    test = summary["eval"]
    assert test["loss"] < math.log(96) - 1.2  # uniform guessing is ln 96 = 4.56 nats
    assert math.isclose(test["bits_per_token"], test["loss"] / math.log(2))
    assert summary["task"] == "language_model" and "confusion_matrix" not in summary


@pytest.mark.parametrize("name", ["rotten_tomatoes_lstm", "rotten_tomatoes_bow"])
def test_sentiment_experiments_beat_the_majority_class(name, tmp_path):
    summary = _run(name, tmp_path)
    assert summary["eval"]["accuracy"] > 1481 / 2562 + 0.05  # 57.8% of test snippets are fresh


def test_digits_rnn_reads_digits_row_by_row(tmp_path):
    assert _run("digits_rnn", tmp_path)["eval"]["accuracy"] > 0.7  # chance is 0.1


def test_japanese_vowels_gru_tells_speakers_apart(tmp_path):
    summary = _run("japanese_vowels_gru", tmp_path)
    assert summary["eval"]["accuracy"] > 0.6  # 9 speakers: chance is about 0.11


@pytest.mark.parametrize("name", ["sunspots_lstm", "sunspots_ar"])
def test_sunspot_forecasts_beat_persistence(name, tmp_path):
    from data import sunspots
    summary = _run(name, tmp_path)
    persistence = sunspots.baselines(sunspots.load(complete({"window": 20})))["persistence_rmse"]
    assert summary["eval"]["rmse"] < persistence
    assert summary["task"] == "regression" and set(summary["eval"]) == {"loss", "rmse"}


def test_catalog_sequence_experiments_name_their_data_sets():
    assert experiments.get_config("imdb_lstm").data.name == "imdb_reviews"
    assert experiments.get_config("tiny_shakespeare_lstm").data.name == "tiny_shakespeare"


@pytest.mark.parametrize("name", ["imdb_lstm", "tiny_shakespeare_lstm"])
def test_mocked_catalog_text_flows_through_the_sequence_experiments(name, tmp_path, monkeypatch):
    import numpy as np
    import tensorflow_datasets as tfds

    import data
    from data import catalog
    monkeypatch.setattr(catalog, "preparation_blocker", lambda: None)  # the mock stands in for the download
    config = experiments.get_config(name)
    overrides.apply(config, [(k, str(v)) for k, v in {
        "model.hidden": 8, "model.embed_dim": 8, "num_steps": 4, "batch_size": 2, "log_every": 2,
        "eval_every": 0, "checkpoint_every": 4, "data.seq_len" if "shakespeare" in name else "data.max_tokens": 8,
        "data.data_dir": str(tmp_path / "data")}.items()])
    with tfds.testing.mock_data(num_examples=24):
        dataset = data.load(config.data)
        summary = loop.train_and_evaluate(config, tmp_path / "run")
    assert set(dataset.splits) == {"train", "validation", "test"}
    assert dataset.input_shape == (8,) and np.isfinite(summary["eval"]["loss"])
