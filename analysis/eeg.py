"""What a raw-signal EEG network learned in its first layers: temporal filters and spatial filters.

The filter banks are found by their role, not by a model's name: any parameter group holding a
`temporal` kernel [taps, 1, filters] and a `spatial` kernel [electrodes, filters or 1, outputs]
(`models.eeg.SpatioTemporalConv`, the first layer of ShallowConvNet, EEGNet and Deep4). The temporal
kernels are FIR filters at the rate the network sees (the recording's rate over `model.downsample`);
their magnitude responses say which frequencies the network kept, to set beside the fixed
delta..gamma bands of the classic features. The spatial kernels weight electrodes.

The EEG study's figure of ShallowConvNet's filters (`experiments/eeg/filters.py`) uses the same
responses; here they are drawn for any one run with such a bank, next to its spatial filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from data import eeg_features, uea


def frequency_responses(kernels: np.ndarray, fs: float, points: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in Hz, |H| [filters, freqs]) of FIR kernels [taps, filters] sampled at `fs`."""
    response = np.abs(np.fft.rfft(kernels, n=points, axis=0)).T
    return np.fft.rfftfreq(points, d=1.0 / fs), response


def energy_share(kernels: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, mean over filters of |H|^2 / sum |H|^2): where in frequency the filters put their gain."""
    freqs, response = frequency_responses(kernels, fs)
    power = response ** 2
    return freqs, (power / power.sum(axis=1, keepdims=True)).mean(axis=0) * len(freqs)


def filter_banks(params: Any) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(path, temporal [taps, filters], spatial [electrodes, outputs]) of every spatio-temporal filter bank;
    a spatial kernel that mixes filters too [electrodes, filters, outputs] is summarised by its norm over filters."""
    def walk(node: Any, path: tuple[str, ...]):
        if hasattr(node, "keys") and {"temporal", "spatial"} <= set(node.keys()):
            temporal, spatial = np.asarray(node["temporal"]), np.asarray(node["spatial"])
            spatial = spatial[:, 0] if spatial.shape[1] == 1 else np.sqrt((spatial ** 2).sum(1))
            yield "/".join(path), temporal[:, 0], spatial
        elif hasattr(node, "keys"):
            for key in sorted(node.keys()):
                yield from walk(node[key], (*path, key))

    yield from walk(params, ())


def sampling_rate(config: Any) -> float | None:
    """The rate (Hz) the network's first layer sees: the recording's, over the model's own decimation."""
    family, _, problem = str(config.data.name).partition("/")
    if family not in ("uea", "uea_features") or problem not in uea.problems():
        return None
    rate = uea.sampling_rate(problem)
    return None if rate is None else rate / config.model.get("downsample", 1)


def _shade_bands(axis: Any, fs: float, top: float) -> None:
    colours = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1"]
    for (name, (low, high)), colour in zip(eeg_features.usable_bands(fs).items(), colours):
        axis.axvspan(low, high, color=colour, alpha=0.6, lw=0)
        axis.text((low + high) / 2, top * 0.95, name, ha="center", fontsize=8)


def run_filters(run: Any, path: Path, title: str = "") -> Path | None:
    """One run's first filter bank: each temporal filter's response (trained, and the mean at initialisation)
    against the EEG bands, and the spatial filters' electrode weights."""
    from analysis.pictures import plt, save
    fs = sampling_rate(run.config)
    trained = next(filter_banks(run.state.params), None)
    if fs is None or trained is None:
        return None
    name, temporal, spatial = trained
    _, initial_temporal, _ = next(filter_banks(run.initial_state().params))
    freqs, trained_gain = energy_share(temporal, fs)
    _, initial_gain = energy_share(initial_temporal, fs)
    _, response = frequency_responses(temporal, fs)
    each = response ** 2 / (response ** 2).mean(axis=1, keepdims=True)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    top = 1.6 * max(float(trained_gain.max()), float(initial_gain.max()))   # single filters may leave the frame
    _shade_bands(left, fs, top)
    for curve in each:
        left.plot(freqs, curve, color="C0", lw=0.7, alpha=0.35)
    left.plot(freqs, trained_gain, color="k", lw=2.2, label=f"mean of the {len(each)} trained filters (thin: each)")
    left.plot(freqs, initial_gain, color="C3", ls="--", lw=1.5, label="mean at initialisation")
    left.set(xlim=(0, fs / 2), ylim=(0, top), xlabel="frequency (Hz)", ylabel="relative gain |H|² (mean 1)",
             title=f"{title}: temporal filters ({temporal.shape[0]} taps at {fs:g} Hz)")
    left.legend(fontsize=8, loc="lower right")
    image = right.imshow(spatial, cmap="RdBu_r", vmin=-np.abs(spatial).max(), vmax=np.abs(spatial).max(),
                         aspect="auto")
    right.set(xlabel="spatial filter", ylabel="electrode", title=f"spatial filters ({name}/spatial)")
    right.set_yticks(range(spatial.shape[0]))
    right.set_xticks(range(0, spatial.shape[1], max(1, spatial.shape[1] // 8)))
    figure.colorbar(image, ax=right, label="weight")
    return save(figure, path)

