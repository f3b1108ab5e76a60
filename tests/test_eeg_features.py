"""The classic EEG pipeline on signals whose answers are known: sinusoids, ramps, white noise."""

import ml_collections
import numpy as np
import pytest

import data
from data import eeg_features as ef

FS = 256.0


def _sine(freq, seconds=4.0, fs=FS, amplitude=1.0, phase=0.3):
    t = np.arange(int(seconds * fs)) / fs
    return amplitude * np.sin(2 * np.pi * freq * t + phase)


def _trials(*signals):
    """[1, time, channels] from 1-D signals."""
    return np.stack(signals, axis=-1)[None]


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.mark.parametrize("freq", [9.0, 10.0, 12.0])
def test_bandpass_passes_in_band_sinusoids_unchanged_and_in_phase(freq):
    x = _trials(_sine(freq))
    y = ef.bandpass(x, FS, 8.0, 13.0)
    middle = slice(256, -256)  # away from the edges
    assert _rms(y[0, middle, 0]) / _rms(x[0, middle, 0]) == pytest.approx(1.0, abs=0.1)
    # Zero phase: the filtered sine lines up with the input (no lag), unlike a one-way filter.
    np.testing.assert_allclose(y[0, middle, 0], x[0, middle, 0], atol=0.15)


@pytest.mark.parametrize("freq", [1.0, 3.0, 30.0, 60.0])
def test_bandpass_suppresses_out_of_band_sinusoids(freq):
    y = ef.bandpass(_trials(_sine(freq)), FS, 8.0, 13.0)
    assert _rms(y[0, 256:-256, 0]) < 0.05 * _rms(_sine(freq))


def test_lowpass_keeps_the_slow_drift_and_removes_the_fast_part():
    slow, fast = _sine(0.5), _sine(80.0)
    y = ef.bandpass(_trials(slow + fast), FS, 0.0, 40.0)
    np.testing.assert_allclose(y[0, 256:-256, 0], slow[256:-256], atol=0.05)


def test_bandpass_filters_each_channel_independently_and_handles_short_trials():
    x = _trials(_sine(10.0), _sine(40.0))
    y = ef.bandpass(x, FS, 8.0, 13.0)
    assert _rms(y[0, 256:-256, 0]) > 0.6 and _rms(y[0, 256:-256, 1]) < 0.05
    short = np.random.default_rng(0).normal(size=(3, 50, 28))   # FingerMovements: 50 samples
    assert ef.bandpass(short, 100.0, 1.0, 40.0).shape == short.shape


@pytest.mark.parametrize("freq, band", [(2.0, "delta"), (6.0, "theta"), (10.0, "alpha"), (20.0, "beta"),
                                        (38.0, "gamma")])
def test_welch_band_power_of_a_sinusoid_lands_in_its_band(freq, band):
    power = ef.band_powers(_trials(_sine(freq, amplitude=2.0)), FS)[0, 0]
    names = list(ef.usable_bands(FS))
    assert names[int(np.argmax(power))] == band
    assert power[names.index(band)] / power.sum() > 0.9
    # Parseval: the band holds the sine's power, A^2 / 2 = 2.
    assert power[names.index(band)] == pytest.approx(2.0, rel=0.15)


def test_spectral_features_are_log_and_relative_band_powers():
    features = ef.spectral_features(_trials(_sine(10.0)), FS)[0, 0]
    log_power, relative = features[:5], features[5:]
    assert relative.sum() == pytest.approx(1.0) and np.argmax(relative) == 2   # alpha
    np.testing.assert_allclose(np.exp(log_power), ef.band_powers(_trials(_sine(10.0)), FS)[0, 0] + 1e-12, rtol=1e-6)


def test_bands_above_nyquist_are_clipped_or_dropped():
    assert ef.usable_bands(100.0)["gamma"] == (30.0, 45.0)
    assert ef.usable_bands(64.0)["gamma"] == (30.0, 32.0)
    assert "gamma" not in ef.usable_bands(50.0)


def test_hjorth_parameters_of_a_sinusoid():
    freq = 8.0
    x = _trials(_sine(freq, amplitude=3.0))
    activity, mobility, complexity = (p[0, 0] for p in ef.hjorth(x))
    omega = 2 * np.pi * freq / FS
    assert activity == pytest.approx(4.5, rel=1e-2)              # A^2 / 2
    assert mobility == pytest.approx(2 * np.sin(omega / 2), rel=1e-2)
    assert complexity == pytest.approx(1.0, abs=1e-2)            # a pure tone is as simple as it gets


def test_hjorth_parameters_of_white_noise():
    x = np.random.default_rng(0).normal(size=(1, 200_000, 1))
    activity, mobility, complexity = (p[0, 0] for p in ef.hjorth(x))
    # var(x') = 2 var(x), var(x'') = 6 var(x) for independent samples.
    assert activity == pytest.approx(1.0, rel=0.02)
    assert mobility == pytest.approx(np.sqrt(2.0), rel=0.01)
    assert complexity == pytest.approx(np.sqrt(3.0 / 2.0), rel=0.01)


def test_time_features_of_a_ramp():
    ramp = np.arange(100, dtype=np.float64) * 0.5
    features = ef.time_features(_trials(ramp))[0, 0]
    assert dict(zip(ef.TIME_FEATURES, features))["line_length"] == pytest.approx(0.5)
    assert dict(zip(ef.TIME_FEATURES, features))["mean"] == pytest.approx(ramp.mean())
    assert dict(zip(ef.TIME_FEATURES, features))["variance"] == pytest.approx(ramp.var())


def test_epoch_cuts_windows_in_order():
    x = np.arange(2 * 10 * 3).reshape(2, 10, 3)
    windows = ef.epoch(x, 4)
    assert windows.shape == (2, 2, 4, 3)                       # the last 2 samples do not fill a window
    np.testing.assert_array_equal(windows[1, 1], x[1, 4:8])
    assert ef.epoch(x, 4, stride=2).shape == (2, 4, 4, 3)
    with pytest.raises(ValueError, match="window 11"):
        ef.epoch(x, 11)


def test_normalise_with_train_statistics():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(20, 50, 4))
    mean, std = ef.channel_stats(train)
    z = ef.normalise(train, mean, std)
    np.testing.assert_allclose(z.mean(axis=(0, 1)), 0.0, atol=1e-9)
    np.testing.assert_allclose(z.std(axis=(0, 1)), 1.0, atol=1e-9)


def test_feature_vector_concatenates_every_window_channel_and_feature():
    x = np.random.default_rng(0).normal(size=(3, 512, 2))
    vector = ef.feature_vector(x, FS, windows=2)
    per_channel = len(ef.TIME_FEATURES) + 2 * len(ef.usable_bands(FS))
    assert vector.shape == (3, 2 * 2 * per_channel) and np.all(np.isfinite(vector))


def test_features_loader_scales_with_train_statistics_only():
    config = ml_collections.ConfigDict({"name": "uea_features/SelfRegulationSCP1", "split_seed": 0,
                                        "band_low_hz": 0.0, "band_high_hz": 40.0, "epochs_per_trial": 4})
    ds = data.load(config)
    per_channel = len(ef.TIME_FEATURES) + 2 * len(ef.usable_bands(256.0))
    assert ds.input_shape == (4 * 6 * per_channel,)
    train = ds.splits["train"].inputs
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-3)
    assert len(ds.splits["test"]) == 293 and ds.splits["test"].inputs.dtype == np.float32


def test_features_loader_rejects_bad_settings_naming_the_data_set():
    bad = ml_collections.ConfigDict({"name": "uea_features/FingerMovements", "split_seed": 0, "epochs_per_trial": 50})
    with pytest.raises(data.DataError, match="uea_features/FingerMovements.*epochs_per_trial"):
        data.load(bad)
