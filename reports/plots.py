"""PNG plots of runs (matplotlib, no display needed): learning curves, metric vs a swept key, confusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def learning_curves(runs: Sequence[dict[str, Any]], path: Path, title: str = "", metric: str = "accuracy") -> Path:
    """Train loss (left) and an eval metric (right: accuracy, or a language model's loss, a forecaster's
    RMSE) against step, one line per run, coloured by group."""
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 4))
    groups = sorted({run["group"] for run in runs})
    colours = {group: plt.cm.tab10(i % 10) for i, group in enumerate(groups)}
    for run in runs:
        colour, label = colours[run["group"]], run["group"] if run["seed_index"] == 0 else None
        train = [r for r in run["metrics"] if r["split"] == "train"]
        loss_axis.plot([r["step"] for r in train], [r["loss"] for r in train], color=colour, alpha=0.8, label=label)
        for split, style in (("validation", "--"), ("test", "o")):
            evals = [r for r in run["metrics"] if r["split"] == split]
            if evals:
                accuracy_axis.plot([r["step"] for r in evals], [r[metric] for r in evals], style,
                                   color=colour, alpha=0.8)
    prefix = f"{title}: " if title else ""
    loss_axis.set(xlabel="step", ylabel="train loss", yscale="log", title=f"{prefix}training loss")
    accuracy_axis.set(xlabel="step", ylabel=metric, title=f"{prefix}eval {metric} (-- validation, o test)")
    if len(groups) > 1:
        loss_axis.legend(fontsize=7)
    return _save(figure, path)


def metric_against_key(key: str, points: Sequence[tuple[Any, float, float]], metric: str, path: Path) -> Path:
    """Mean +- std of `metric` against the values of one swept key."""
    figure, axis = plt.subplots(figsize=(5.5, 4))
    xs = [p[0] for p in points]
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    positions = xs if numeric else list(range(len(xs)))
    axis.errorbar(positions, [p[1] for p in points], yerr=[p[2] for p in points], marker="o", capsize=4)
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= 10:
        axis.set_xscale("log")
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if numeric:
        axis.set_xticks(positions, [f"{x:g}" for x in xs])
    else:
        axis.set_xticks(positions, [str(x) for x in xs])
    axis.set(xlabel=key, ylabel=f"test {metric}", title=f"test {metric} against {key}")
    return _save(figure, path)


def series_against_x(series: dict[str, Sequence[tuple[float, float, float]]], xlabel: str, ylabel: str,
                     title: str, path: Path) -> Path:
    """Several lines of (x, mean, std) points with error bars on one axis, e.g. accuracy against depth."""
    figure, axis = plt.subplots(figsize=(6, 4.2))
    for label, points in series.items():
        points = sorted(points)
        axis.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] for p in points], marker="o",
                      capsize=4, label=label)
    axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.set(xlabel=xlabel, ylabel=ylabel, title=title)
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    return _save(figure, path)


def confusion_matrix(matrix: Any, path: Path, title: str = "confusion matrix (test)",
                     class_names: Sequence[str] | None = None) -> Path:
    """counts[true, predicted] as an annotated heatmap, its axes labelled with the class names where known."""
    matrix = np.asarray(matrix)
    figure, axis = plt.subplots(figsize=(5, 4.5))
    image = axis.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        axis.text(j, i, str(count), ha="center", va="center", fontsize=7,
                  color="white" if count > matrix.max() / 2 else "black")
    axis.set(xlabel="predicted", ylabel="true", title=title,
             xticks=range(matrix.shape[1]), yticks=range(matrix.shape[0]))
    if class_names is not None and len(class_names) == matrix.shape[0]:
        shown = [name if len(name) <= 12 else name[:11] + "…" for name in class_names]
        axis.set_xticklabels(shown, rotation=45 if max(map(len, shown)) > 2 else 0, ha="right", fontsize=7)
        axis.set_yticklabels(shown, fontsize=7)
    figure.colorbar(image, ax=axis)
    return _save(figure, path)
