"""What a raw-signal EEG network learned in its first layers: temporal filters and spatial filters.

The filter banks are found by their role, not by a model's name: any parameter group holding a
`temporal` kernel [taps, 1, filters] and a `spatial` kernel [electrodes, filters or 1, outputs]
(`models.eeg.SpatioTemporalConv`, the first layer of ShallowConvNet, EEGNet and Deep4). The temporal
kernels are FIR filters at the rate the network sees (the recording's rate over `model.downsample`);
their magnitude responses say which frequencies the network kept, to set beside the fixed
delta..gamma bands of the classic features. The spatial kernels weight electrodes.

`figure` and `gain_table` summarise a directory of EEG runs (`<set>_<network>/seed=N`, as
`python -m train.eeg_table` lays them out): each network's mean gain profile after training and at
initialisation, per set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from data import eeg_features, uea

GAIN_BANDS = {"0-2 Hz": (0.0, 2.0), "delta 0.5-4": (0.5, 4.0), "theta 4-8": (4.0, 8.0), "alpha 8-13": (8.0, 13.0),
              "beta 13-30": (13.0, 30.0)}
NETWORK_NAMES = {"shallow": "ShallowConvNet", "eegnet": "EEGNet", "deep4": "Deep4"}


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


def frequency_responses(kernels: np.ndarray, fs: float, points: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in Hz, |H| [filters, frequencies]) of FIR kernels [taps, filters] sampled at `fs`."""
    spectrum = np.fft.rfft(kernels, n=points, axis=0)
    return np.fft.rfftfreq(points, d=1.0 / fs), np.abs(spectrum).T


def gain_profile(kernels: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, relative gain): each filter's |H|^2 normalised to mean 1 over frequency, averaged over filters."""
    freqs, magnitude = frequency_responses(kernels, fs)
    power = magnitude ** 2
    share = power / power.mean(axis=1, keepdims=True)
    return freqs, share.mean(axis=0)


def sampling_rate(config: Any) -> float | None:
    """The rate (Hz) the network's first layer sees: the recording's, over the model's own decimation."""
    source = uea.SOURCES.get(str(config.data.name).split("/")[-1])
    if source is None or source.sampling_rate is None:
        return None
    return source.sampling_rate / config.model.get("downsample", 1)


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
    freqs, trained_gain = gain_profile(temporal, fs)
    _, initial_gain = gain_profile(initial_temporal, fs)
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


def _set_runs(workdir: Path, short: str, net: str) -> list[Path]:
    return sorted(p.parent for p in (workdir / f"{short}_{net}").glob("seed=*/checkpoints"))


def _mean_profiles(runs: Sequence[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int], float]:
    """(frequencies, trained profile, initial profile, (taps, filters), fs), each profile averaged over runs."""
    from analysis import _run
    trained, initial = [], []
    for directory in runs:
        run = _run.restore(directory)
        fs = sampling_rate(run.config)
        _, temporal, _ = next(filter_banks(run.state.params))
        _, start, _ = next(filter_banks(run.initial_state().params))
        freqs, after = gain_profile(temporal, fs)
        trained.append(after)
        initial.append(gain_profile(start, fs)[1])
    return freqs, np.mean(trained, 0), np.mean(initial, 0), temporal.shape, fs


def figure(workdir: Path, sets: Sequence[str], out: Path, nets: Sequence[str] = ("shallow", "eegnet")) -> None:
    """One panel per set with runs of every network in `nets`: each network's mean first-layer gain profile
    after training (solid) and at initialisation (dashed), over the EEG bands."""
    from analysis.pictures import plt, save
    from experiments.eeg._common import SETS
    sets = [s for s in sets if all(_set_runs(workdir, s, n) for n in nets)]
    if not sets:
        return
    figure_, axes = plt.subplots(1, len(sets), figsize=(6.5 * len(sets), 4.4), squeeze=False)
    for axis, short in zip(axes[0], sets):
        profiles = {net: (*_mean_profiles(_set_runs(workdir, short, net)), len(_set_runs(workdir, short, net)))
                    for net in nets}
        top = 1.2 * max(max(p[1].max(), p[2].max()) for p in profiles.values())
        nyquist = max(p[4] for p in profiles.values()) / 2
        _shade_bands(axis, 2 * nyquist, top)
        for i, (net, (freqs, after, before, (taps, filters), fs, seeds)) in enumerate(profiles.items()):
            colour = "k" if i == 0 else "C3"
            axis.plot(freqs, before, color=colour, ls="--", lw=1.2, alpha=0.6)
            axis.plot(freqs, after, color=colour, lw=2, label=f"{NETWORK_NAMES.get(net, net)} ({filters} filters x "
                      f"{seeds} seeds, {taps} taps at {fs:g} Hz)")
        axis.plot([], [], color="0.4", ls="--", label="dashed: the same filters at initialisation")
        axis.set(xlim=(0, nyquist), ylim=(0, top), xlabel="frequency (Hz)", ylabel="relative gain |H|² (mean 1)",
                 title=SETS[short]["problem"])
        axis.legend(loc="lower center", fontsize=7.5)
    figure_.suptitle("First-layer temporal filters: where their gain lies after training, against the feature bands",
                     fontsize=10)
    save(figure_, Path(out))


def gain_table(workdir: Path, sets: Sequence[str], nets: Sequence[str] = ("shallow", "eegnet")) -> str:
    """Markdown: each network's mean relative gain per band after training (at initialisation in brackets)."""
    from experiments.eeg._common import SETS
    lines = ["| set | network | " + " | ".join(GAIN_BANDS) + " |", "|" + " --- |" * (2 + len(GAIN_BANDS))]
    for short in sets:
        for net in nets:
            runs = _set_runs(workdir, short, net)
            if not runs:
                continue
            freqs, after, before, _, _ = _mean_profiles(runs)
            cells = [f"{after[(freqs >= lo) & (freqs < hi)].mean():.2f} ({before[(freqs >= lo) & (freqs < hi)].mean():.2f})"
                     for lo, hi in GAIN_BANDS.values()]
            lines.append(f"| {SETS[short]['problem']} | {net} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
