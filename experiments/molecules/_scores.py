"""Scores of a finished run on its held-out splits, and the metrics the molecule study reports from them.

The train loop reports loss and accuracy; the field's headline for blood-brain-barrier
classification is ROC AUC, which needs every molecule's score at once. So a run's final checkpoint
is read back, the model scores the validation and test molecules (the probability of BBB+, or the
predicted logBB in its units), and the scores are cached in the run directory as `scores.npz`.
ROC AUC is scikit-learn's `roc_auc_score`.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

SCORES_FILE = "scores.npz"


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of `scores` for the positive class 1 (ties count one half)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def rmse(targets: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predictions) - np.asarray(targets)) ** 2)))


def _model_outputs(model: Any, variables: dict[str, Any], inputs: np.ndarray, lengths: np.ndarray | None,
                   batch_size: int) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    takes_lengths = "lengths" in inspect.signature(type(model).__call__).parameters and lengths is not None

    @jax.jit
    def apply(x, n):
        return model.apply(variables, x, train=False, **({"lengths": n} if takes_lengths else {}))

    outputs = []
    for start in range(0, len(inputs), batch_size):
        stop = min(start + batch_size, len(inputs))
        x = inputs[start:stop]
        n = lengths[start:stop] if takes_lengths else np.zeros(stop - start, np.int32)
        if stop - start < batch_size:                 # one compiled shape: pad the last batch
            pad = batch_size - (stop - start)
            x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
            n = np.concatenate([n, np.ones(pad, n.dtype)])
        outputs.append(np.asarray(apply(jnp.asarray(x), jnp.asarray(n)))[: stop - start])
    return np.concatenate(outputs).astype(np.float64)


def compute(run_dir: Path, splits: tuple[str, ...] = ("validation", "test")) -> dict[str, dict[str, np.ndarray]]:
    """{split: {'labels', 'scores'}} of a finished run, from its final checkpoint (no training)."""
    import jax
    import ml_collections

    import data
    import models
    from train.checkpoint import read

    config = ml_collections.ConfigDict(json.loads((run_dir / "config.json").read_text())["config"])
    dataset = data.load(config.data)
    model = models.create(config.model, dataset.num_classes, config.get("dtype", "float32"))
    _, state = read(run_dir / "checkpoints")
    variables = {"params": state["params"]}
    if state.get("batch_stats"):
        variables["batch_stats"] = state["batch_stats"]
    out = {}
    for name in splits:
        split = dataset.splits[name]
        outputs = _model_outputs(model, variables, split.inputs, split.lengths, config.eval_batch_size)
        if dataset.task == "regression":
            scores, labels = outputs[:, 0] * dataset.target_scale, split.labels[:, 0] * dataset.target_scale
        else:
            scores, labels = np.asarray(jax.nn.softmax(outputs, axis=-1))[:, 1], split.labels
        out[name] = {"labels": np.asarray(labels), "scores": scores}
    return out


def load(run_dir: Path) -> dict[str, dict[str, np.ndarray]]:
    """The run's cached scores, computed and cached first if needed."""
    path = run_dir / SCORES_FILE
    if not path.exists():
        scores = compute(run_dir)
        np.savez(path, **{f"{split}/{key}": value for split, d in scores.items() for key, value in d.items()})
    with np.load(path) as stored:
        out: dict[str, dict[str, np.ndarray]] = {}
        for key in stored.files:
            split, field = key.split("/")
            out.setdefault(split, {})[field] = stored[key]
    return out


def metrics(scores: dict[str, np.ndarray], task: str) -> dict[str, float]:
    """ROC AUC and accuracy (threshold 0.5) for classification; RMSE for regression."""
    labels, values = scores["labels"], scores["scores"]
    if task == "regression":
        return {"rmse": rmse(labels, values)}
    return {"roc_auc": roc_auc(labels, values), "accuracy": float(np.mean((values > 0.5) == (labels == 1)))}
