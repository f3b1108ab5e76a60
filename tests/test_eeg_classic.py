"""The classic pipelines (CSP, slow-potential means, Riemannian) on synthetic trials whose answer is known.

Two synthetic tasks, each solvable by one family and invisible to the other:
- band power: the class sets the amplitude of a 12 Hz source seen through a fixed mixing of
  electrodes; every trial's mean is zero. CSP and the Riemannian pipelines must separate it, window
  means must not.
- slow drift: the class sets the sign of a slow ramp under a fixed electrode pattern; the band power
  is the same. Window means must separate it, CSP in the 8-30 Hz band must not.
"""

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from experiments.eeg import classic

FS = 100.0
CHANNELS, LENGTH = 6, 100


def _band_power_task(n, seed, nuisance=0.0):
    """`nuisance`: a class-independent 3 Hz oscillation of random amplitude under the same mixing,
    which swamps the 12 Hz contrast unless the band-pass removes it."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    t = np.arange(LENGTH) / FS
    mixing = rng.normal(size=(CHANNELS, 2))
    x = rng.normal(scale=1.0, size=(n, CHANNELS, LENGTH))
    for i, label in enumerate(labels):
        amplitude = (3.0, 0.3) if label else (0.3, 3.0)
        sources = np.stack([a * np.sin(2 * np.pi * 12.0 * t + rng.uniform(0, 2 * np.pi)) for a in amplitude])
        x[i] += mixing @ sources
        x[i] += rng.uniform(0, nuisance) * mixing @ np.stack([np.sin(2 * np.pi * 3.0 * t + rng.uniform(0, 6.3))] * 2)
    return x - x.mean(axis=-1, keepdims=True), labels


def _drift_task(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    pattern = rng.normal(size=(CHANNELS, 1))
    ramp = np.linspace(-1.0, 1.0, LENGTH)[None]
    x = rng.normal(scale=1.0, size=(n, CHANNELS, LENGTH))
    for i, label in enumerate(labels):
        x[i] += (1.5 if label else -1.5) * pattern @ ramp
    return x, labels


def _accuracy(estimator, task, **params):
    x, y = task(200, seed=0)
    estimator.set_params(**params)
    return cross_val_score(estimator, x, y, cv=4).mean()


def test_window_means_are_the_segment_means_and_keep_the_end_of_the_trial():
    x = np.arange(2 * 1 * 11, dtype=float).reshape(2, 1, 11)
    means = classic.WindowMeans(windows=2).fit_transform(x)
    # 11 samples, 2 windows of 5: the first sample is dropped, windows [1..5] and [6..10].
    np.testing.assert_allclose(means, [[3.0, 8.0], [14.0, 19.0]])


def test_average_reference_removes_what_every_electrode_shares():
    x = np.random.default_rng(0).normal(size=(3, 4, 20))
    common = np.random.default_rng(1).normal(size=(3, 1, 20))
    y = classic.Reference("average").fit_transform(x + common)
    np.testing.assert_allclose(y.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y, classic.Reference("average").fit_transform(x), atol=1e-12)
    with pytest.raises(ValueError, match="reference must be"):
        classic.Reference("bipolar").fit(x)


def test_trial_baseline_removes_each_trials_offset_only():
    x = np.random.default_rng(0).normal(size=(3, 4, 20))
    offset = np.random.default_rng(1).normal(size=(3, 4, 1)) * 50
    y = classic.Baseline("trial").fit_transform(x + offset)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y, x - x.mean(axis=-1, keepdims=True), atol=1e-12)
    with pytest.raises(ValueError, match="baseline must be"):
        classic.Baseline("first").fit(x)


def test_band_pass_keeps_its_band_on_the_last_axis():
    t = np.arange(400) / FS
    x = np.stack([np.sin(2 * np.pi * 12.0 * t), np.sin(2 * np.pi * 2.0 * t)])[None]
    y = classic.BandPass(FS, 8.0, 30.0).fit_transform(x)
    middle = slice(100, -100)
    assert np.std(y[0, 0, middle]) == pytest.approx(np.std(x[0, 0, middle]), rel=0.1)
    assert np.std(y[0, 1, middle]) < 0.05


def test_csp_and_riemannian_pipelines_separate_band_power_and_window_means_cannot():
    csp, _ = classic.pipeline("csp_lda", FS)
    assert _accuracy(csp, _band_power_task, filter__low=8.0, filter__high=30.0, csp__n_components=2) > 0.95
    riemann, _ = classic.pipeline("riemann_lr", FS)
    assert _accuracy(riemann, _band_power_task, filter__low=8.0, filter__high=30.0) > 0.95
    means, _ = classic.pipeline("sp_lda", FS)
    assert _accuracy(means, _band_power_task, means__windows=5) < 0.7


def test_window_means_and_xdawn_covariances_separate_a_slow_drift_and_band_power_csp_cannot():
    means, _ = classic.pipeline("sp_lda", FS)
    assert _accuracy(means, _drift_task, means__windows=5) > 0.95
    riemann, grid = classic.pipeline("riemann_mdm", FS)
    xdawn = grid[-1]["covariance"][0]
    assert _accuracy(riemann, _drift_task, filter__low=0.0, filter__high=0.0, covariance=xdawn) > 0.95
    csp, _ = classic.pipeline("csp_lda", FS)
    assert _accuracy(csp, _drift_task, filter__low=8.0, filter__high=30.0, csp__n_components=2) < 0.7


def test_fit_and_score_chooses_on_the_training_split_and_reports_every_split():
    x, y = _band_power_task(160, seed=1, nuisance=20.0)
    splits = {"train": (x[:100], y[:100]), "validation": (x[100:120], y[100:120]), "test": (x[120:], y[120:])}
    result = classic.fit_and_score("csp_lda", splits, FS)
    assert result.params["filter__low"] == 8.0          # the band that holds the 12 Hz source, not the 3 Hz nuisance
    assert result.cv_accuracy > 0.9 and result.validation_accuracy > 0.9 and result.test_accuracy > 0.9
    row = classic.rows([result])[0]
    assert row.startswith("| CSP + LDA (mne) | - | ") and "band 8-30 Hz" in row and "deterministic" in row
    with pytest.raises(ValueError, match="unknown classic pipeline"):
        classic.pipeline("svm", FS)


def test_trials_are_the_networks_splits_in_mne_layout():
    splits = classic.trials("FingerMovements")
    assert {k: v[0].shape for k, v in splits.items()} == {"train": (253, 28, 50), "validation": (63, 28, 50),
                                                         "test": (100, 28, 50)}
    assert splits["train"][0].dtype == np.float64 and set(np.unique(splits["test"][1])) == {0, 1}


def test_separability_sees_a_shifted_offset_in_the_means_and_not_once_each_trial_is_baselined():
    from experiments.eeg import shift
    rng = np.random.default_rng(0)
    train = rng.normal(size=(60, CHANNELS, LENGTH))
    test = rng.normal(size=(60, CHANNELS, LENGTH)) + rng.normal(size=(1, CHANNELS, 1))  # the test recording's offsets
    found = shift.separability(train, test, FS, windows=5)
    assert found["means"] > 0.9 and found["shape"] < 0.7 and found["power"] < 0.7
    assert "| toy | 0.950 |" in shift.table({"toy": {"means": 0.95, "shape": 0.5, "power": 0.5}})
