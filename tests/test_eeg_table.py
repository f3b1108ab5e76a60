"""The EEG table generator's pieces that need no training: table rows, ensembles, the comparison of both
sides, marker rewriting, filter responses, validation curves."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from experiments.eeg import classic, curves, filters as eeg_filters, table as eeg_table


def _summary(accuracy, seconds=2.0, validation=0.7, selected=None):
    summary = {"eval": {"accuracy": accuracy}, "splits": {"validation": {"accuracy": validation}},
               "num_params": 1234, "steps": 600, "train_seconds": seconds}
    return summary | ({"selected": {"metric": "validation.accuracy", "step": selected, "value": validation,
                                    "stopped_early": False}} if selected else {})


def test_tables_report_mean_std_and_every_seed():
    results = {"scp1": {"eegnet": [_summary(0.8), _summary(0.9)]}}
    text = eeg_table.tables(results, {"scp1": {"shrinkage LDA (scikit-learn)": 0.75}})
    assert "### SelfRegulationSCP1" in text
    assert "| `eeg/scp1_eegnet`: EEGNet | 1,234 | **0.850 ± 0.071** | 0.800 0.900 | 600 | 2.0 |" in text
    assert "| same features, shrinkage LDA (scikit-learn) | - | 0.750 |" in text


def test_a_selecting_recipe_shows_its_kept_steps_and_its_ensemble():
    results = {"scp1": {"spatial_mlp": [_summary(0.8, selected=300), _summary(0.9, validation=0.75, selected=2900)]}}
    text = eeg_table.tables(results, {}, {}, {"scp1": {"spatial_mlp": {"test": 0.875, "validation": 0.8}}})
    assert "| 0.800 0.900; validation 0.700 0.750 | 600, kept 300 2900 |" in text
    assert "| `eeg/scp1_spatial_mlp`, the 2 seeds as one ensemble | - | **0.875** | validation 0.800 |" in text


def test_tables_put_the_classic_rows_under_their_set():
    results = {"scp1": {"eegnet": [_summary(0.8)]}, "fingers": {"eegnet": [_summary(0.6)]}}
    text = eeg_table.tables(results, {}, {"fingers": ["| CSP + LDA (mne) | - | 0.530 | deterministic | - | 16 |"]})
    fingers = text[text.index("### FingerMovements"):]
    assert "| CSP + LDA (mne) | - | 0.530 |" in fingers and "CSP" not in text[:text.index("### FingerMovements")]


def test_ensemble_averages_the_best_states_probabilities(tmp_path, monkeypatch):
    labels = np.array([0, 1, 1])
    logits = {"a": np.log([[0.6, 0.4], [0.7, 0.3], [0.1, 0.9]]), "b": np.log([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])}
    # Alone: a gets 2 of 3 (misses the second trial), b 3 of 3; averaged: [0.75 0.25], [0.45 0.55], [0.25 0.75].
    asked = []

    def restore(run_dir, which="latest"):
        asked.append((run_dir.name, which))
        split = SimpleNamespace(inputs=np.zeros((3, 4)), labels=labels)
        return SimpleNamespace(predict=lambda x: logits[run_dir.name],
                               dataset=SimpleNamespace(splits={"validation": split, "test": split}))

    import layerwise
    monkeypatch.setattr(layerwise, "restore", restore)
    runs = [tmp_path / "a", tmp_path / "b"]
    assert eeg_table.ensemble(runs) == {"validation": 1.0, "test": 1.0}
    assert asked == [("a", "best"), ("b", "best")]
    assert json.loads((tmp_path / "ensemble.json").read_text())["test"] == 1.0   # cached: not restored again
    eeg_table.ensemble(runs)
    assert len(asked) == 2


def test_verdict_chooses_each_side_without_the_test_split():
    results = {"fingers": {"spatial": [_summary(0.95, validation=0.99)],            # linear: not on the network side
                           "eegnet": [_summary(0.70, validation=0.60)],
                           "spatial_mlp": [_summary(0.60, validation=0.80), _summary(0.62, validation=0.76)]}}
    fitted = {"fingers": [classic.ClassicResult("csp_lda", {}, 0.55, 0.5, 0.65, 1.0),
                          classic.ClassicResult("sp_lda", {}, 0.70, 0.6, 0.63, 1.0)]}
    [row] = eeg_table.verdict(results, fitted).splitlines()[2:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].startswith("SpatialMeanNet + 16 ELU") and cells[1].endswith("0.610 ± 0.014")  # best validation
    assert cells[2].startswith("slow-potential") and cells[2].endswith("0.630")                  # best training CV
    assert cells[3] == "-0.020"
    assert cells[4] == "EEGNet 0.700; CSP + LDA (mne) 0.650" and cells[5].startswith("0.84")


def test_clock_sums_every_invocation(tmp_path):
    eeg_table.clock(tmp_path, 0.0, trained=3)
    line = eeg_table.clock(tmp_path, 0.0, trained=2)
    assert "in 2 invocation(s)" in line and "(5 runs trained;" in line
    assert len((tmp_path / "timings.jsonl").read_text().splitlines()) == 2


def test_rewrite_replaces_only_the_marked_block(tmp_path):
    path = tmp_path / "EEG.md"
    path.write_text(f"intro\n{eeg_table.BEGIN}\nold table\n{eeg_table.END}\noutro\n")
    eeg_table.rewrite(path, "new table")
    assert path.read_text() == f"intro\n{eeg_table.BEGIN}\nnew table\n{eeg_table.END}\noutro\n"
    fresh = tmp_path / "fresh.md"
    eeg_table.rewrite(fresh, "t")
    assert fresh.read_text() == f"{eeg_table.BEGIN}\nt\n{eeg_table.END}\n"


def test_frequency_response_of_known_filters():
    fs = 64.0
    delta = np.zeros((9, 1)); delta[4] = 1.0
    freqs, flat = eeg_filters.frequency_responses(delta, fs)
    np.testing.assert_allclose(flat, 1.0, atol=1e-12)                   # a unit impulse passes everything
    average = np.full((8, 1), 1 / 8)
    freqs, response = eeg_filters.frequency_responses(average, fs)
    assert response[0, 0] == pytest.approx(1.0)                         # DC gain of a moving average
    assert response[0, np.argmin(np.abs(freqs - fs / 8))] == pytest.approx(0.0, abs=1e-9)  # its first null
    assert freqs[-1] == pytest.approx(fs / 2)


def test_below_chance_rows_get_their_validation_curves_drawn(tmp_path):
    results = {"eyes": {"shallow": [_summary(0.40), _summary(0.45)], "eegnet": [_summary(0.6)]},
               "scp2": {"gru": [_summary(0.5)]}}
    [(short, model, mean)] = curves.below_chance(results)
    assert (short, model) == ("eyes", "shallow") and mean == pytest.approx(0.425)
    run = tmp_path / "eyes_shallow" / "seed=0"
    run.mkdir(parents=True)
    lines = [{"step": 50, "split": "train", "loss": 0.6, "accuracy": 0.7},
             {"step": 50, "split": "validation", "loss": 0.6, "accuracy": 0.75},
             {"step": 25, "split": "validation", "loss": 0.7, "accuracy": 0.6},
             {"step": 50, "split": "validation", "loss": 0.7, "accuracy": 0.6, "selected_step": 25}]  # final scoring
    (run / "metrics.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n")
    assert curves.validation_curve(run) == [(25, 0.6), (50, 0.75)]
    png = tmp_path / "curves.png"
    assert curves.figure(tmp_path, curves.below_chance(results), png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not curves.figure(tmp_path, [("scp2", "gru", 0.49)], tmp_path / "none.png")   # no curves: nothing drawn
