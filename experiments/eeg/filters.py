"""What ShallowConvNet learned: the frequency response of its first temporal filters, beside the feature bands.

The first layer of ShallowConvNet is a bank of FIR filters applied to every electrode. Their
magnitude responses, read from trained checkpoints, show which frequencies the network chose to
keep, to be compared with the fixed delta/theta/alpha/beta/gamma bands of the hand-crafted features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from analysis.eeg import energy_share, frequency_responses
from data import eeg_features, uea


def learned_filters(run_dir: Path) -> np.ndarray:
    """The temporal kernels [taps, filters] of a trained ShallowConvNet run."""
    from layerwise import read_checkpoint
    _, state = read_checkpoint(run_dir / "checkpoints")
    return np.asarray(state["params"]["conv"]["temporal"])[:, 0]


def initial_filters(config, input_shape: tuple[int, ...]) -> np.ndarray:
    """The same run's kernels before training, rebuilt from its seed exactly as the train loop draws them."""
    import models
    from train import optim
    from train.step import create_state, run_keys
    state = create_state(models.create(config.model, 2), optim.optimizer(config), input_shape, run_keys(config.seed)[0])
    return np.asarray(state.params["conv"]["temporal"])[:, 0]


def _profiles(run_dirs: Sequence[Path], fs_of) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int], float]:
    """(freqs, trained profile, initial profile, (taps, filters), fs), averaged over the runs."""
    import json
    import ml_collections
    import data
    trained, initial = [], []
    for run in run_dirs:
        config = ml_collections.ConfigDict(json.loads((run / "config.json").read_text())["config"])
        fs = fs_of(config)
        kernels = learned_filters(run)
        freqs, after = energy_share(kernels, fs)
        trained.append(after)
        initial.append(energy_share(initial_filters(config, data.load(config.data).input_shape), fs)[1])
    return freqs, np.mean(trained, axis=0), np.mean(initial, axis=0), kernels.shape, fs


def figure(workdir: Path, sets: Sequence[str], out: Path, nets: Sequence[str] = ("shallow", "eegnet")) -> None:
    """One panel per set: each network's first-layer gain profile after training and at initialisation."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from experiments.eeg import SETS

    sets = [s for s in sets if all(list((workdir / f"{s}_{n}").glob("seed=*/checkpoints")) for n in nets)]
    if not sets:
        return
    fig, axes = plt.subplots(1, len(sets), figsize=(6.5 * len(sets), 4.4), squeeze=False)
    band_colours = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1"]
    line_colours = {"shallow": "k", "eegnet": "#d62728"}
    labels = {"shallow": "ShallowConvNet", "eegnet": "EEGNet"}
    for ax, short in zip(axes[0], sets):
        rate = uea.sampling_rate(SETS[short]["problem"])
        fs_of = lambda config: rate / config.model.downsample  # noqa: E731
        curves, top, nyquist = {}, 0.0, 0.0
        for net in nets:
            runs = sorted((workdir / f"{short}_{net}").glob("seed=*"))
            curves[net] = (*_profiles(runs, fs_of), len(runs))
            top = max(top, curves[net][1].max(), curves[net][2].max())
            nyquist = max(nyquist, curves[net][4] / 2)
        top *= 1.2
        for (name, (low, high)), colour in zip(eeg_features.usable_bands(2 * nyquist).items(), band_colours):
            ax.axvspan(low, high, color=colour, alpha=0.6, lw=0)
            ax.text((low + high) / 2, top * 0.95, name, ha="center", fontsize=8)
        for net, (freqs, trained, initial, (taps, filters), fs, seeds) in curves.items():
            what = f"{labels[net]} ({filters} filters x {seeds} seeds, {taps} taps at {fs:g} Hz)"
            ax.plot(freqs, initial, color=line_colours[net], ls="--", lw=1.2, alpha=0.6)
            ax.plot(freqs, trained, color=line_colours[net], lw=2, label=what)
        ax.plot([], [], color="0.4", ls="--", label="dashed: the same filters at initialisation")
        ax.set(xlim=(0, nyquist), ylim=(0, top), xlabel="frequency (Hz)", ylabel="relative gain |H|² (mean 1)",
               title=SETS[short]["problem"])
        ax.legend(loc="lower center", fontsize=7.5)
    fig.suptitle("First-layer temporal filters: where their gain lies after training, against the feature bands")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


GAIN_BANDS = {"0-2 Hz": (0.0, 2.0), "delta 0.5-4": (0.5, 4.0), "theta 4-8": (4.0, 8.0), "alpha 8-13": (8.0, 13.0),
              "beta 13-30": (13.0, 30.0)}


def gain_table(workdir: Path, sets: Sequence[str], nets: Sequence[str] = ("shallow", "eegnet")) -> str:
    """Markdown: mean relative gain per band after training (and at initialisation) of each network's first layer."""
    from experiments.eeg import SETS
    lines = ["| set | network | " + " | ".join(GAIN_BANDS) + " |", "|" + " --- |" * (2 + len(GAIN_BANDS))]
    for short in sets:
        rate = uea.sampling_rate(SETS[short]["problem"])
        for net in nets:
            runs = sorted((workdir / f"{short}_{net}").glob("seed=*"))
            if not runs:
                continue
            freqs, trained, initial, _, _ = _profiles(runs, lambda c: rate / c.model.downsample)
            cells = []
            for low, high in GAIN_BANDS.values():
                inside = (freqs >= low) & (freqs < high)
                cells.append(f"{trained[inside].mean():.2f} ({initial[inside].mean():.2f})")
            lines.append(f"| {SETS[short]['problem']} | {net} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
