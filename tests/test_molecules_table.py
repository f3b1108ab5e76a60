"""The molecule study's table runner without training: metrics, row choice by validation, references, markers."""

import numpy as np
import pytest

from data.dataset import Dataset, Split
from experiments.molecules import _references, _scores, _table


def test_metrics_of_scores():
    labels = np.array([0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.8, 0.9])
    metrics = _scores.metrics({"labels": labels, "scores": scores}, "classification")
    assert metrics["roc_auc"] == pytest.approx(5 / 6)        # 5 of the 6 (negative, positive) pairs ordered
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert _scores.metrics({"labels": np.zeros(4), "scores": np.full(4, 2.0)}, "regression") == {"rmse": 2.0}


def _result(val_auc, test_auc, seconds=10.0):
    return {"summary": {"num_params": 1000, "train_seconds": seconds, "steps": 500},
            "validation": {"roc_auc": val_auc, "accuracy": 0.8}, "test": {"roc_auc": test_auc, "accuracy": 0.8}}


def test_best_rows_are_chosen_on_validation_and_the_winner_named():
    runs = {"b3db_gnn": [_result(0.90, 0.80), _result(0.92, 0.82)],
            "b3db_gru": [_result(0.85, 0.95), _result(0.85, 0.95)],     # best on test, not on validation
            "b3db_mlp_morgan": [_result(0.88, 0.86), _result(0.88, 0.86)]}
    refs = {"ECFP4 + random forest": {"setting": "max_features=sqrt", "validation": {"roc_auc": 0.89, "accuracy": 0.8},
                                      "test": [{"roc_auc": 0.84, "accuracy": 0.8}] * 3}}
    table_rows = _table.rows(runs, refs, _table.CLASSIFICATION)
    assert _table.best(table_rows, True, "roc_auc")["label"].startswith("`molecules/b3db_gnn`")
    assert _table.best(table_rows, False, "roc_auc")["label"].startswith("ECFP4 + random forest")
    text = _table.classification_table("scaffold", table_rows)
    assert "| `molecules/b3db_gnn`: GNN (GINE message passing) on molecular graph | **0.810 ± 0.014** |" in text
    assert "0.840 ± 0.000" in text and "the fingerprints/descriptors wins on the scaffold split by 0.030" in text


def test_rewrite_replaces_only_the_marked_block(tmp_path):
    page = tmp_path / "MOLECULES.md"
    page.write_text(f"intro\n{_table.BEGIN}\nold\n{_table.END}\noutro\n")
    _table.rewrite(page, "new")
    assert page.read_text() == f"intro\n{_table.BEGIN}\nnew\n{_table.END}\noutro\n"


def test_references_choose_on_validation_and_score_test():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(np.int32)
    splits = {"train": Split(x[:200], y[:200]), "validation": Split(x[200:250], y[200:250]),
              "test": Split(x[250:], y[250:])}
    dataset = Dataset(name="toy", splits=splits, num_classes=2)
    linear = _references.linear(dataset)
    assert linear["setting"].startswith("C=") and len(linear["test"]) == 1 and linear["test"][0]["roc_auc"] > 0.8
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_references, "TREES", 20)
        forest = _references.forest(dataset, seeds=2)
    assert len(forest["test"]) == 2 and forest["validation"]["roc_auc"] > 0.7


def test_missing_runs_are_marked_not_measured_and_no_verdict_is_drawn_without_them():
    runs = {"b3db_gnn": [], "b3db_mlp_morgan": [_result(0.88, 0.86)]}
    table_rows = _table.rows(runs, {}, _table.CLASSIFICATION)
    text = _table.classification_table("random", table_rows)
    assert "| `molecules/b3db_gnn`: GNN (GINE message passing) on molecular graph | not measured |" in text
    assert "No verdict" in text and "wins" not in text


def test_ensemble_row_averages_the_seeds_probabilities_of_the_row_chosen_on_validation():
    labels = np.array([0, 0, 1, 1])
    seeds = [np.array([0.6, 0.1, 0.5, 0.9]), np.array([0.2, 0.7, 0.65, 0.9])]   # AUC 0.75 each; mean 1.0
    runs = {"b3db_dmpnn": [{**_result(0.90, 0.75), "scores": {s: {"labels": labels, "scores": p}
                                                               for s in ("validation", "test")}} for p in seeds],
            "b3db_mlp_morgan": [_result(0.88, 0.86), _result(0.88, 0.86)]}
    refs = {"ECFP4 + random forest": {"setting": "max_features=sqrt", "validation": {"roc_auc": 0.89, "accuracy": 0.8},
                                      "test": [{"roc_auc": 0.95, "accuracy": 0.8}] * 3}}
    text = _table.classification_table("random", _table.rows(runs, refs, _table.CLASSIFICATION))
    assert "| `molecules/b3db_dmpnn`, ensemble of its 2 seeds (mean probability) | **1.000** | 1.000 | 1.000 |" in text
    assert "learned `molecules/b3db_dmpnn`" in text and "0.750 ± 0.000" in text   # the verdict keeps the seed mean
    assert "the fingerprints/descriptors wins on the random split by 0.200" in text
    assert "the ensemble wins by 0.050" in text
