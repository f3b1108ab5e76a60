"""Re-referencing, baseline removal and Euclidean alignment of EEG trials: known answers, train-only statistics."""

import numpy as np
import pytest

import experiments
from data import config as data_config
from data import eeg_preprocess as ep
from data import uea
from data.dataset import DataError, Split


def _splits(seed=0, n=(40, 10, 12), time=64, channels=5):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(channels, channels))
    out = {}
    for name, count in zip(("train", "validation", "test"), n):
        x = rng.normal(size=(count, time, channels)) @ mixing + rng.normal(size=(count, 1, channels)) * 3
        out[name] = Split(x.astype(np.float32), rng.integers(0, 2, count).astype(np.int32))
    return out


def test_average_reference_and_trial_baseline_remove_what_they_name():
    splits = _splits()
    out = ep.preprocess(splits, "toy", reference="average", baseline="trial")
    for s in out.values():
        np.testing.assert_allclose(s.inputs.sum(axis=2), 0.0, atol=1e-4)    # electrodes sum to zero
        np.testing.assert_allclose(s.inputs.mean(axis=1), 0.0, atol=1e-5)   # each trial's mean is gone
    assert ep.preprocess(splits, "toy") is splits                             # all off: untouched


def test_euclidean_alignment_whitens_the_mean_training_covariance():
    train = _splits()["train"].inputs.astype(np.float64)
    matrix = ep.alignment_matrix(train)
    centred = train - train.mean(axis=1, keepdims=True)
    mean_cov = np.einsum("ntc,ntd->cd", centred, centred) / (train.shape[0] * train.shape[1])
    np.testing.assert_allclose(matrix @ mean_cov @ matrix.T, np.eye(train.shape[2]), atol=1e-8)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-10)                 # the symmetric square root


def test_alignment_uses_training_statistics_only_and_the_same_matrix_for_every_split():
    splits = _splits()
    out = ep.preprocess(splits, "toy", align="euclidean")
    shifted = dict(splits, test=Split(splits["test"].inputs * 7 + 1, splits["test"].labels))
    again = ep.preprocess(shifted, "toy", align="euclidean")
    np.testing.assert_allclose(out["train"].inputs, again["train"].inputs)   # test never moves train
    # The test split went through the same affine map: a 7x scaled, shifted input maps to 7x (plus a constant).
    np.testing.assert_allclose(np.diff(again["test"].inputs, axis=1), 7 * np.diff(out["test"].inputs, axis=1),
                               rtol=1e-3, atol=1e-3)
    train = out["train"].inputs.astype(np.float64)
    centred = train - train.mean(axis=1, keepdims=True)
    cov = np.einsum("ntc,ntd->cd", centred, centred) / (train.shape[0] * train.shape[1])
    off_diagonal = cov - np.diag(np.diag(cov))
    assert np.abs(off_diagonal).max() < 0.05 * np.diag(cov).min()            # aligned: channels decorrelated


def test_alignment_after_an_average_reference_stays_finite():
    out = ep.preprocess(_splits(), "toy", reference="average", align="euclidean")
    assert all(np.isfinite(s.inputs).all() for s in out.values())


@pytest.mark.parametrize("key, value", [("reference", "bipolar"), ("baseline", "first"), ("align", "riemann")])
def test_bad_values_name_the_key_and_the_valid_ones(key, value):
    with pytest.raises(DataError, match=f"data.{key} must be one of"):
        ep.preprocess(_splits(), "toy", **{key: value})


def test_uea_loader_applies_them_before_standardising():
    config = data_config.complete({"validation_fraction": 0.2, "split_seed": 0, "standardize": True,
                                   "reference": "average", "baseline": "trial"})
    ds = uea.load_problem("FingerMovements", config)
    train = ds.splits["train"].inputs
    np.testing.assert_allclose(train.mean(axis=(0, 1)), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=(0, 1)), 1.0, atol=1e-3)
    plain = uea.load_problem("FingerMovements", data_config.complete({"validation_fraction": 0.2}))
    raw = plain.splits["test"].inputs.astype(np.float64)
    expected = raw - raw.mean(axis=2, keepdims=True)
    expected = expected - expected.mean(axis=1, keepdims=True)
    # The test split is the referenced, baselined raw signal under the training split's per-channel scaling.
    ratio = ds.splits["test"].inputs / np.where(np.abs(expected) > 1e-3, expected, np.nan)
    per_channel = np.nanmedian(ratio, axis=(0, 1))
    np.testing.assert_allclose(np.nanmedian(np.abs(ratio - per_channel), axis=(0, 1)), 0.0, atol=1e-3)


def test_the_fingers_recipe_loads_referenced_and_aligned_trials():
    config = experiments.get_config("eeg/fingers_spatial_mlp")
    assert (config.data.reference, config.data.align) == ("average", "euclidean")
    train = uea.load_problem("FingerMovements", config.data).splits["train"].inputs.astype(np.float64)
    centred = train - train.mean(axis=1, keepdims=True)
    cov = np.einsum("ntc,ntd->cd", centred, centred) / (train.shape[0] * train.shape[1])
    correlation = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    # Aligned: the within-trial covariance is the identity on the 27 dimensions the average reference
    # leaves, P = I - u u^T, where u (the removed direction) is proportional to the per-channel scale
    # that the first z-scoring divided by; every channel is rescaled afterwards, so compare correlations.
    raw = uea.load_problem("FingerMovements", data_config.complete({"validation_fraction": 0.2}))
    referenced = raw.splits["train"].inputs.astype(np.float64)
    scale = (referenced - referenced.mean(axis=2, keepdims=True)).std(axis=(0, 1))
    u = scale / np.linalg.norm(scale)
    projector = np.eye(28) - np.outer(u, u)
    expected = projector / np.sqrt(np.outer(np.diag(projector), np.diag(projector)))
    np.testing.assert_allclose(correlation, expected, atol=1e-3)
