"""`layerwise` from Python: the README's example run as written, a run restored equal to its summary,
predictions with the model's shapes, a notebook's tqdm.auto bar, and typed exceptions (never SystemExit)
for bad input."""

from __future__ import annotations

import inspect
import json
import re

import jax
import numpy as np
import pytest

import layerwise
from conftest import ROOT, tiny_overrides


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The README's "From Python" block executed in a fresh directory: its variables, and that directory."""
    directory = tmp_path_factory.mktemp("readme")
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text[text.index("\n## From Python\n"):], re.S).group(1)
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    return namespace, directory


def test_the_readme_example_trains_restores_and_predicts(example):
    namespace, directory = example
    summary, run = namespace["summary"], namespace["run"]
    assert summary["steps"] == 200 and summary["eval"]["accuracy"] > 0.8
    assert summary["class_names"] == [str(k) for k in range(10)]
    assert json.loads((directory / "runs/nb/summary.json").read_text())["eval"] == summary["eval"]
    assert run.evaluate("test")["accuracy"] == pytest.approx(summary["eval"]["accuracy"])
    assert namespace["logits"].shape == (8, 10)
    iris = namespace["iris"]   # arrays saved to an npz: 150 rows, test and validation carved
    assert iris["eval"]["accuracy"] > 0.6 and iris["class_names"] == ["0", "1", "2"]


def test_restore_evaluates_to_the_summary_numbers_on_every_split(example):
    namespace, directory = example
    run = layerwise.restore(directory / "runs/nb")
    assert run.step == 200 and run.config.num_steps == 200
    for split, metrics in namespace["summary"]["splits"].items():
        again = run.evaluate(split)
        for key, value in metrics.items():
            assert again[key] == pytest.approx(value, rel=1e-6), (split, key)


def test_predict_gives_one_row_of_logits_per_example(example):
    namespace, directory = example
    run = namespace["run"]
    test = run.dataset.splits["test"]
    logits = run.predict(test.inputs)
    assert logits.shape == (len(test), 10) and logits.dtype == np.float32
    assert np.mean(logits.argmax(axis=1) == test.labels) == pytest.approx(namespace["summary"]["eval"]["accuracy"])


def test_initial_state_is_the_same_architecture_before_training(example):
    run = example[0]["run"]
    start = run.initial_state()
    assert jax.tree.structure(start.params) == jax.tree.structure(run.state.params)
    assert int(start.step) == 0 and int(run.state.step) == 200
    pairs = list(zip(jax.tree.leaves(start.params), jax.tree.leaves(run.state.params)))
    assert all(a.shape == b.shape for a, b in pairs) and any(not np.allclose(a, b) for a, b in pairs)


def test_a_notebook_gets_a_tqdm_auto_bar(monkeypatch):
    from train import logs

    made = []
    monkeypatch.setattr(logs, "_in_notebook", lambda: True)
    monkeypatch.setattr(logs, "tqdm_auto", lambda **kwargs: made.append(kwargs) or object())
    logs.Progress(total=20, initial=5, style="auto")
    assert made and made[0]["total"] == 20 and made[0]["initial"] == 5
    assert inspect.signature(layerwise.run).parameters["progress"].default == "auto"


def _file(tmp_path):
    (tmp_path / "a_file").write_text("")
    return tmp_path / "a_file"


RUN_ERRORS = {  # config values, workdir -> the exception and its words
    "own data without a path": ({"data.name": "csv"}, None, layerwise.DataError, "give --config.data.path=FILE.csv"),
    "a batch larger than the data": ({"batch_size": 100000}, None, layerwise.DataError, "batch_size 100000 does not fit"),
    "a model that cannot take the data": ({"data.name": "uea/GunPoint"}, None, layerwise.ConfigError,
                                          r"model 'cnn' cannot take data set 'uea/GunPoint', whose examples are float32 "
                                          r"of shape \(150, 1\)"),
    "settings of another model": ({"model.name": "rnn_lm"}, None, layerwise.ConfigError,
                                  r"model 'rnn_lm' takes no settings \['features'\]"),
    "a workdir that is a file": ({}, _file, layerwise.ConfigError, "is a file, not a directory"),
}


@pytest.mark.parametrize("case", sorted(RUN_ERRORS))
def test_bad_runs_raise_typed_exceptions_before_training(case, tmp_path):
    values, workdir, error, words = RUN_ERRORS[case]
    config = layerwise.experiment("digits_cnn", **tiny_overrides(**values))
    with pytest.raises(error, match=words):
        layerwise.run(config, workdir(tmp_path) if workdir else tmp_path / "w")
    assert not (tmp_path / "w" / "checkpoints").exists()


def test_bad_names_and_values_raise_typed_exceptions():
    with pytest.raises(layerwise.UnknownExperimentError, match="valid experiments: .*digits_cnn"):
        layerwise.experiment("digits_transformer")
    with pytest.raises(layerwise.OverrideError, match="unknown config key 'optimizer.lrr'"):
        layerwise.experiment("digits_cnn", **{"optimizer.lrr": 1})
    with pytest.raises(layerwise.OverrideError, match="takes an int, got 'ten'"):
        layerwise.experiment("digits_cnn", num_steps="ten")


def test_restoring_what_is_not_a_finished_run_raises_typed_exceptions(example, tmp_path):
    with pytest.raises(layerwise.ConfigError, match="holds no config.json"):
        layerwise.restore(tmp_path)
    (tmp_path / "config.json").write_text((example[1] / "runs/nb/config.json").read_text())
    with pytest.raises(layerwise.CheckpointError, match="holds no checkpoint"):
        layerwise.restore(tmp_path)
    with pytest.raises(layerwise.CheckpointError, match="kept no best state"):
        layerwise.restore(tmp_path, which="best")
    with pytest.raises(layerwise.DataError, match="has no split 'holdout'"):
        example[0]["run"].evaluate("holdout")
