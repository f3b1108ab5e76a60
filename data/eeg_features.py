"""The classic EEG pipeline as pure functions: filter, normalise, epoch, hand-crafted features.

This is what deep networks on raw signals are measured against. Every function takes arrays shaped
[..., time, channels] (channels last, like the loaders) and returns new arrays; none keeps state.
Statistics a step needs (normalisation mean and scale, feature scaling) are computed from the
training split and passed in, so validation and test never leak into the pipeline.

Features, per window and channel:
  time domain       mean, variance, Hjorth activity / mobility / complexity, line length
  frequency domain  Welch band power in delta, theta, alpha, beta, gamma: log absolute and relative
"""

from __future__ import annotations

import numpy as np

# Conventional clinical bands (Hz); a band above the Nyquist frequency is clipped or dropped.
BANDS: dict[str, tuple[float, float]] = {
    "delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0),
}
TIME_FEATURES = ("mean", "variance", "activity", "mobility", "complexity", "line_length")
_EPS = 1e-12


def bandpass(x: np.ndarray, fs: float, low: float, high: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth filter along time (axis -2): forward and backward, so no phase lag.

    `low <= 0` makes it a low-pass, `high >= fs / 2` a high-pass. Zero phase matters because the
    features (and the slow potentials of SCP sets) are read at fixed times within a trial.
    """
    nyquist = fs / 2.0
    if low <= 0 and high >= nyquist:
        return np.asarray(x, np.float64).copy()
    from scipy import signal  # imported here, not at the top: 1.5 s at every start that only these runs need

    if low <= 0:
        sos = signal.butter(order, high, btype="lowpass", fs=fs, output="sos")
    elif high >= nyquist:
        sos = signal.butter(order, low, btype="highpass", fs=fs, output="sos")
    else:
        if not low < high:
            raise ValueError(f"band-pass needs low < high, got {low}, {high}")
        sos = signal.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    # padlen: the default (3 * taps) fails on short trials (FingerMovements has 50 samples).
    padlen = min(x.shape[-2] - 1, 3 * (2 * len(sos) + 1))
    return signal.sosfiltfilt(sos, np.asarray(x, np.float64), axis=-2, padlen=padlen)


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) per channel over every example and time step of `x` [N, time, channels]."""
    mean = x.mean(axis=tuple(range(x.ndim - 1)))
    std = x.std(axis=tuple(range(x.ndim - 1)))
    return mean, np.maximum(std, _EPS)


def normalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Per-channel z-scoring with given statistics (from the training split)."""
    return (x - mean) / std


def epoch(x: np.ndarray, window: int, stride: int | None = None) -> np.ndarray:
    """[..., time, channels] -> [..., windows, window, channels]; trailing samples that do not fill a window are dropped."""
    stride = stride or window
    time = x.shape[-2]
    if not 0 < window <= time:
        raise ValueError(f"window {window} must lie in [1, {time}] (the trial length)")
    starts = range(0, time - window + 1, stride)
    return np.stack([x[..., s:s + window, :] for s in starts], axis=-3)


def hjorth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hjorth activity, mobility, complexity along time (axis -2).

    activity = var(x); mobility = sqrt(var(x') / var(x)); complexity = mobility(x') / mobility(x),
    with x' the first difference. For a sampled sinusoid of angular frequency w (rad/sample),
    mobility = 2 sin(w / 2) and complexity = 1.
    """
    d1 = np.diff(x, axis=-2)
    d2 = np.diff(d1, axis=-2)
    var0, var1, var2 = x.var(axis=-2), d1.var(axis=-2), d2.var(axis=-2)
    mobility = np.sqrt(var1 / np.maximum(var0, _EPS))
    complexity = np.sqrt(var2 / np.maximum(var1, _EPS)) / np.maximum(mobility, _EPS)
    return var0, mobility, complexity


def line_length(x: np.ndarray) -> np.ndarray:
    """Mean absolute first difference along time: amplitude and frequency in one number."""
    return np.abs(np.diff(x, axis=-2)).mean(axis=-2)


def time_features(x: np.ndarray) -> np.ndarray:
    """[..., time, channels] -> [..., channels, 6] in the order of `TIME_FEATURES`."""
    activity, mobility, complexity = hjorth(x)
    return np.stack([x.mean(axis=-2), x.var(axis=-2), activity, mobility, complexity, line_length(x)], axis=-1)


def usable_bands(fs: float, bands: dict[str, tuple[float, float]] = BANDS) -> dict[str, tuple[float, float]]:
    """The bands below Nyquist, the top one clipped to it (FingerMovements at 100 Hz keeps gamma as 30-45)."""
    nyquist = fs / 2.0
    return {name: (low, min(high, nyquist)) for name, (low, high) in bands.items() if low < nyquist}


def welch_psd(x: np.ndarray, fs: float, nperseg: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, PSD [..., channels, freqs]) by Welch's method along time, Hann windows, 50% overlap.

    Segments of up to one second (or the whole window when shorter) trade frequency resolution
    (1 Hz at 1 s) against variance.
    """
    time = x.shape[-2]
    nperseg = min(time, int(fs)) if nperseg is None else min(nperseg, time)
    from scipy import signal

    freqs, psd = signal.welch(x, fs=fs, nperseg=nperseg, axis=-2)
    return freqs, np.moveaxis(psd, -2, -1)


def band_powers(x: np.ndarray, fs: float, bands: dict[str, tuple[float, float]] | None = None,
                nperseg: int | None = None) -> np.ndarray:
    """Welch band power [..., channels, bands]: PSD integrated over [low, high) of each band."""
    bands = usable_bands(fs) if bands is None else bands
    freqs, psd = welch_psd(x, fs, nperseg)
    df = freqs[1] - freqs[0]
    out = []
    for low, high in bands.values():
        inside = (freqs >= low) & (freqs < high)
        if not inside.any():  # a band narrower than the resolution: take the nearest bin
            inside = np.abs(freqs - (low + high) / 2) == np.abs(freqs - (low + high) / 2).min()
        out.append(psd[..., inside].sum(axis=-1) * df)
    return np.stack(out, axis=-1)


def spectral_features(x: np.ndarray, fs: float, nperseg: int | None = None) -> np.ndarray:
    """[..., time, channels] -> [..., channels, 2 * bands]: log band powers, then relative ones."""
    power = band_powers(x, fs, nperseg=nperseg)
    relative = power / np.maximum(power.sum(axis=-1, keepdims=True), _EPS)
    return np.concatenate([np.log(power + _EPS), relative], axis=-1)


def feature_vector(x: np.ndarray, fs: float, windows: int = 1) -> np.ndarray:
    """Trials [N, time, channels] -> one flat vector per trial [N, features].

    The trial is cut into `windows` equal epochs; time and frequency features of every epoch and
    channel are concatenated, so the classifier sees how they change within the trial.
    """
    window = x.shape[-2] // windows
    epochs = epoch(x, window)                                    # [N, windows, window, channels]
    parts = [time_features(epochs), spectral_features(epochs, fs)]  # [N, windows, channels, k]
    return np.concatenate(parts, axis=-1).reshape(x.shape[0], -1)


def pipeline(train: np.ndarray, others: dict[str, np.ndarray], fs: float, low: float, high: float,
             windows: int = 1) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Filter -> normalise (train statistics) -> epoch -> features -> standardised features.

    Returns (train features, {name: features}); every scaling is fitted on `train` only.
    """
    filtered = bandpass(train, fs, low, high)
    mean, std = channel_stats(filtered)

    def features(x: np.ndarray, already_filtered: bool = False) -> np.ndarray:
        x = x if already_filtered else bandpass(x, fs, low, high)
        return feature_vector(normalise(x, mean, std), fs, windows)

    train_features = features(filtered, already_filtered=True)
    centre, scale = train_features.mean(axis=0), np.maximum(train_features.std(axis=0), 1e-6)
    scaled = {name: ((features(x) - centre) / scale).astype(np.float32) for name, x in others.items()}
    return ((train_features - centre) / scale).astype(np.float32), scaled
