"""What ShallowConvNet learned: the frequency response of its first temporal filters, beside the feature bands.

The first layer of ShallowConvNet is a bank of FIR filters applied to every electrode. Their
magnitude responses, read from trained checkpoints, show which frequencies the network chose to
keep, to be compared with the fixed delta/theta/alpha/beta/gamma bands of the hand-crafted features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from data import eeg_features, uea


def frequency_responses(kernels: np.ndarray, fs: float, points: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in Hz, |H| [filters, freqs]) of FIR kernels [taps, filters] sampled at `fs`."""
    response = np.abs(np.fft.rfft(kernels, n=points, axis=0)).T
    return np.fft.rfftfreq(points, d=1.0 / fs), response


def learned_filters(run_dir: Path) -> np.ndarray:
    """The temporal kernels [taps, filters] of a trained ShallowConvNet run."""
    from train.checkpoint import read
    _, state = read(run_dir / "checkpoints")
    return np.asarray(state["params"]["conv"]["temporal"])[:, 0]


def figure(workdir: Path, sets: Sequence[str], out: Path) -> None:
    """One panel per set: every filter's normalised response over all seeds (grey), their median, the bands."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import experiments
    from experiments.eeg._common import SETS

    sets = [s for s in sets if list((workdir / f"{s}_shallow").glob("seed=*/checkpoints"))]
    if not sets:
        return
    fig, axes = plt.subplots(1, len(sets), figsize=(6.5 * len(sets), 4.2), squeeze=False)
    colours = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1"]
    for ax, short in zip(axes[0], sets):
        config = experiments.get_config(f"eeg/{short}_shallow")
        fs = uea.SOURCES[SETS[short]["problem"]].sampling_rate / config.model.get("downsample", 1)
        curves = []
        for run in sorted((workdir / f"{short}_shallow").glob("seed=*")):
            freqs, response = frequency_responses(learned_filters(run), fs)
            curves.append(response / response.max(axis=1, keepdims=True))
        curves = np.concatenate(curves)
        for (name, (low, high)), colour in zip(eeg_features.usable_bands(fs).items(), colours):
            ax.axvspan(low, high, color=colour, alpha=0.6, lw=0)
            ax.text((low + high) / 2, 1.04, name, ha="center", fontsize=8)
        ax.plot(freqs, curves.T, color="0.4", alpha=0.06, lw=0.8)
        ax.plot(freqs, np.median(curves, axis=0), color="k", lw=2, label="median over filters and seeds")
        peaks = freqs[np.argmax(curves, axis=1)]
        ax.set(xlim=(0, fs / 2), ylim=(0, 1.1), xlabel="frequency (Hz)", ylabel="|H| / max |H|",
               title=f"{SETS[short]['problem']}: {curves.shape[0]} learned filters "
                     f"(median peak {np.median(peaks):.1f} Hz)")
        ax.legend(loc="upper right", fontsize=8)
    fig.suptitle("ShallowConvNet first-layer temporal filters vs. the hand-crafted feature bands")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
