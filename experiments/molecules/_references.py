"""The classic references, fitted by scikit-learn on the same fingerprints, descriptors and splits as the networks.

- Logistic regression (L2; ridge regression for logBB): its strength `C` (`alpha`) is chosen on the
  validation split from a small grid, then the chosen model is scored on test once. Deterministic.
- Random forest (Breiman 2001), 500 trees: `max_features` and `min_samples_leaf` chosen on validation
  with random_state 0; the chosen setting is then refitted with random_state 0, 1, 2 (the seeds) and
  each is scored on test once.

Selection uses ROC AUC (RMSE for logBB) on validation only.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from experiments.molecules import _scores

LOGISTIC_C = (0.01, 0.03, 0.1, 0.3, 1.0)
RIDGE_ALPHA = (1.0, 10.0, 100.0, 1000.0)
FOREST_GRID = {"max_features": ("sqrt", 0.2), "min_samples_leaf": (1, 3)}
TREES = 500


def load_features(data_name: str, features: str, split: str) -> Any:
    """The prepared data set the MLP experiments read (same config, same cached copy)."""
    import data
    from experiments.molecules._common import config

    cfg = config(data_name, features, {"name": "mlp"}, num_steps=1)
    cfg.data.split = split
    return data.load(cfg.data)


def _metric(model: Any, x: np.ndarray, y: np.ndarray, task: str, scale: float) -> dict[str, float]:
    if task == "regression":
        return {"rmse": _scores.rmse(y[:, 0] * scale, model.predict(x) * scale)}
    return _scores.metrics({"labels": y, "scores": model.predict_proba(x)[:, 1]}, task)


def _better(a: dict[str, float], b: dict[str, float] | None) -> bool:
    if b is None:
        return True
    return a["rmse"] < b["rmse"] if "rmse" in a else a["roc_auc"] > b["roc_auc"]


def linear(dataset: Any) -> dict[str, Any]:
    """Logistic (ridge) regression: {'setting', 'validation', 'test': [one result]}."""
    from sklearn.linear_model import LogisticRegression, Ridge

    train, val, test = (dataset.splits[s] for s in ("train", "validation", "test"))
    x = {k: s.inputs.astype(np.float64) for k, s in (("train", train), ("validation", val), ("test", test))}
    regression = dataset.task == "regression"
    best, best_val, best_setting = None, None, None
    for value in (RIDGE_ALPHA if regression else LOGISTIC_C):
        model = Ridge(alpha=value) if regression else LogisticRegression(C=value, max_iter=5000)
        model.fit(x["train"], train.labels[:, 0] if regression else train.labels)
        result = _metric(model, x["validation"], val.labels, dataset.task, dataset.target_scale)
        if _better(result, best_val):
            best, best_val, best_setting = model, result, value
    key = "alpha" if regression else "C"
    return {"setting": f"{key}={best_setting}", "validation": best_val,
            "test": [_metric(best, x["test"], test.labels, dataset.task, dataset.target_scale)]}


def forest(dataset: Any, seeds: int) -> dict[str, Any]:
    """Random forest: {'setting', 'validation', 'test': [one result per seed]}."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    train, val, test = (dataset.splits[s] for s in ("train", "validation", "test"))
    regression = dataset.task == "regression"
    forest_class = RandomForestRegressor if regression else RandomForestClassifier
    y_train = train.labels[:, 0] if regression else train.labels

    def fit(seed: int, **setting: Any) -> Any:
        return forest_class(n_estimators=TREES, random_state=seed, n_jobs=2, **setting).fit(train.inputs, y_train)

    best_val, best_setting = None, None
    for values in itertools.product(*FOREST_GRID.values()):
        setting = dict(zip(FOREST_GRID, values))
        result = _metric(fit(0, **setting), val.inputs, val.labels, dataset.task, dataset.target_scale)
        if _better(result, best_val):
            best_val, best_setting = result, setting
    tests = [_metric(fit(seed, **best_setting), test.inputs, test.labels, dataset.task, dataset.target_scale)
             for seed in range(seeds)]
    return {"setting": ", ".join(f"{k}={v}" for k, v in best_setting.items()), "validation": best_val,
            "test": tests}


def all_references(data_name: str, split: str, seeds: int) -> dict[str, dict[str, Any]]:
    """{row label: result} for both classic models on both feature sets of one data set and split."""
    out = {}
    for features, label in (("morgan", "ECFP4"), ("descriptors", "RDKit descriptors")):
        dataset = load_features(data_name, features, split)
        name = "ridge regression" if dataset.task == "regression" else "logistic regression"
        out[f"{label} + {name}"] = linear(dataset)
        out[f"{label} + random forest"] = forest(dataset, seeds)
    return out
