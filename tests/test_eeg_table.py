"""The EEG table generator's pieces that need no training: table rows, marker rewriting, filter responses."""

import numpy as np
import pytest

from experiments.eeg import filters as eeg_filters, table as eeg_table


def _summary(accuracy, seconds=2.0):
    return {"eval": {"accuracy": accuracy}, "num_params": 1234, "steps": 600, "train_seconds": seconds}


def test_tables_report_mean_std_and_every_seed():
    results = {"scp1": {"eegnet": [_summary(0.8), _summary(0.9)]}}
    text = eeg_table.tables(results, {"scp1": {"shrinkage LDA (scikit-learn)": 0.75}})
    assert "### SelfRegulationSCP1" in text
    assert "| `eeg/scp1_eegnet`: EEGNet | 1,234 | **0.850 ± 0.071** | 0.800 0.900 | 600 | 2.0 |" in text
    assert "| same features, shrinkage LDA (scikit-learn) | - | 0.750 |" in text


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
