"""Scores of a finished run on its held-out splits, and the metrics the molecule study reports from them.

The train loop reports loss and accuracy; the field's headline for blood-brain-barrier
classification is ROC AUC, which needs every molecule's score at once. So a finished run is
restored (`layerwise.restore`: its config, data, model and newest checkpoint), the model scores the
validation and test molecules (the probability of BBB+, or the predicted logBB in its units), and
the scores are cached in the run directory as `scores.npz`.
ROC AUC is scikit-learn's `roc_auc_score`.
"""

from __future__ import annotations

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


def _outputs(run: Any, inputs: np.ndarray, lengths: np.ndarray | None, batch_size: int) -> np.ndarray:
    """The restored run's eval-mode outputs for every row, in batches of one shape (one compilation)."""
    outputs = []
    for start in range(0, len(inputs), batch_size):
        stop = min(start + batch_size, len(inputs))
        x = inputs[start:stop]
        n = None if lengths is None else lengths[start:stop]
        if stop - start < batch_size:                 # pad the last batch to the same shape
            pad = batch_size - (stop - start)
            x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), x.dtype)])
            n = None if n is None else np.concatenate([n, np.ones(pad, n.dtype)])
        outputs.append(run.predict(x, n)[: stop - start])
    return np.concatenate(outputs).astype(np.float64)


def compute(run_dir: Path, splits: tuple[str, ...] = ("validation", "test")) -> dict[str, dict[str, np.ndarray]]:
    """{split: {'labels', 'scores'}} of a finished run, from its newest checkpoint (no training)."""
    import layerwise

    run = layerwise.restore(run_dir)
    dataset = run.dataset
    out = {}
    for name in splits:
        split = dataset.splits[name]
        outputs = _outputs(run, split.inputs, split.lengths, run.config.eval_batch_size)
        if dataset.task == "regression":
            scores, labels = outputs[:, 0] * dataset.target_scale, split.labels[:, 0] * dataset.target_scale
        else:
            logits = outputs - outputs.max(axis=-1, keepdims=True)
            probabilities = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
            scores, labels = probabilities[:, 1], split.labels
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
