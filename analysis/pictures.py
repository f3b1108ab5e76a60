"""The analysis's PNGs: probe curves, CKA heatmaps, first-layer filters, top-activating inputs, 2-D maps.

Each function draws one figure from arrays the analysis already holds and returns its path, or None
when the run has nothing of that kind (no image input, no recurrent layer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

NET_STYLE = {"trained": dict(color="C0", marker="o", ls="-"), "init": dict(color="C3", marker="s", ls="--")}
TARGET_TITLES = {"class": "class", "next_character": "next character", "inside_word": "inside a word"}


def save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def probe_curves(report: dict[str, Any], path: Path, title: str = "") -> Path:
    """Probe test accuracy per layer: trained, at initialisation, and the raw input's probe as a line."""
    targets = report["targets"]
    width = max(6.5, 0.55 * len(report["layers"]) + 3)
    figure, axes = plt.subplots(1, len(targets), figsize=(width * len(targets), 5.0), squeeze=False)
    for axis, target in zip(axes[0], targets):
        hidden = [e for e in report["layers"] if e["name"] != "input"]
        x = np.arange(len(hidden))
        for net in ("trained", "init"):
            main = [e["probes"][target][e["view"]][net]["test_accuracy"] for e in hidden]
            axis.plot(x, main, label=f"{'trained' if net == 'trained' else 'at initialisation'}", **NET_STYLE[net])
            gap = [e["probes"][target].get("gap", {}).get(net, {}).get("test_accuracy", np.nan) for e in hidden]
            if not np.all(np.isnan(gap)):
                axis.plot(x, gap, color=NET_STYLE[net]["color"], ls=":", marker=".", alpha=0.7,
                          label=f"{'trained' if net == 'trained' else 'at init'}, global average only")
        raw = next((e for e in report["layers"] if e["name"] == "input"), None)
        if raw is not None:
            value = raw["probes"][target][raw["view"]]["trained"]["test_accuracy"]
            axis.axhline(value, color="0.4", lw=1.2, label=f"raw input ({raw['view']}): {value:.3f}")
        axis.set_xticks(x, [e["name"] for e in hidden], rotation=45 if len(hidden) > 6 else 0, ha="right"
                        if len(hidden) > 6 else "center")
        axis.set(ylabel="probe test accuracy", title=f"{title}: {TARGET_TITLES.get(target, target)}" if title
                 else TARGET_TITLES.get(target, target))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    return save(figure, path)


def cka_heatmaps(names: Sequence[str], matrices: dict[str, np.ndarray], path: Path, title: str = "",
                 panels: Sequence[tuple[str, str]] = (("trained", "trained"), ("init", "at initialisation")),
                 rows: Sequence[str] | None = None) -> Path:
    """One heatmap per panel of linear CKA between layers (rows x columns)."""
    rows = list(rows or names)
    size = max(4.0, 0.45 * max(len(names), len(rows)) + 2)
    figure, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size), squeeze=False)
    for axis, (key, label) in zip(axes[0], panels):
        matrix = matrices[key]
        image = axis.imshow(matrix, vmin=0, vmax=1, cmap="magma", origin="lower")
        axis.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
        axis.set_yticks(range(len(rows)), rows, fontsize=8)
        if len(names) * len(rows) <= 200:
            for (i, j), value in np.ndenumerate(matrix):
                axis.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                          color="white" if value < 0.6 else "black")
        axis.set_title(f"{title}: {label}" if title else label, fontsize=10)
        figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="linear CKA")
    return save(figure, path)


def first_layer_kernels(params: Any, input_shape: tuple[int, ...]) -> tuple[str, np.ndarray] | None:
    """(name, filters [n, h, w, channels]) of the weights that read the pixels: a convolution kernel
    [h, w, in, out] whose `in` is the image's channel count, else a dense kernel over the flattened image."""
    if len(input_shape) != 3:
        return None
    height, width, channels = input_shape
    found: list[tuple[str, np.ndarray]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        for key in sorted(node):
            value = node[key]
            if isinstance(value, dict) or hasattr(value, "items"):
                walk(value, (*path, key))
            elif key == "kernel" and value.ndim == 4 and value.shape[2] == channels:
                found.append(("/".join(path), np.transpose(np.asarray(value), (3, 0, 1, 2))))
            elif key == "kernel" and value.ndim == 2 and value.shape[0] == height * width * channels:
                found.append(("/".join(path), np.asarray(value).T.reshape(-1, height, width, channels)))

    walk(params, ())
    convolutions = [f for f in found if f[1].shape[1:3] != (height, width)]
    chosen = convolutions or found
    return chosen[0] if chosen else None


def _as_image(x: np.ndarray) -> np.ndarray:
    x = x - x.min()
    x = x / (x.max() or 1.0)
    return x[..., 0] if x.shape[-1] == 1 else x[..., :3]


def filters(params: Any, initial: Any, input_shape: tuple[int, ...], path: Path, title: str = "",
            most: int = 32) -> Path | None:
    """The first layer's filters after training (left) and at initialisation (right), each scaled to its own range."""
    trained, start = first_layer_kernels(params, input_shape), first_layer_kernels(initial, input_shape)
    if trained is None:
        return None
    name, kernels = trained
    count = min(most, len(kernels))
    columns = min(8, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, 2 * columns + 1, figsize=(0.7 * (2 * columns + 1), 0.75 * rows + 0.7),
                                squeeze=False)
    for block, source in enumerate((kernels, start[1])):
        for i in range(rows * columns):
            axis = axes[i // columns, block * (columns + 1) + i % columns]
            if i < count:
                axis.imshow(_as_image(source[i]), cmap="gray", interpolation="nearest")
            axis.set_axis_off()
    for r in range(rows):
        axes[r, columns].set_axis_off()
    axes[0, 0].set_title("trained", fontsize=8, loc="left")
    axes[0, columns + 1].set_title("at initialisation", fontsize=8, loc="left")
    figure.suptitle(f"{title}: first-layer filters ({name}, {count} of {len(kernels)})", fontsize=9)
    return save(figure, path)


def top_inputs(images: np.ndarray, unit_views: dict[str, np.ndarray], path: Path, title: str = "",
               units_per_layer: int = 3, top: int = 8) -> Path | None:
    """For the most variable units of each layer, the evaluation images that excite them most.

    `unit_views[layer]` is [N, units]: a map's per-channel spatial maximum, or a vector layer."""
    if images.ndim != 4 or not unit_views:
        return None
    rows = []
    for layer, values in unit_views.items():
        for unit in np.argsort(-values.std(0))[:units_per_layer]:
            rows.append((f"{layer} #{unit}", np.argsort(-values[:, unit])[:top]))
    figure, axes = plt.subplots(len(rows), top, figsize=(0.8 * top + 1.2, 0.85 * len(rows)), squeeze=False)
    for r, (label, order) in enumerate(rows):
        for c, index in enumerate(order):
            axes[r, c].imshow(_as_image(images[index]), cmap="gray", interpolation="nearest")
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    figure.suptitle(f"{title}: test images that excite single units most", fontsize=9)
    return save(figure, path)


def embeddings(points: dict[str, np.ndarray], labels: np.ndarray, path: Path, title: str,
               class_names: Sequence[str] | None = None) -> Path:
    """One scatter per layer of 2-D points [N, 2], coloured by label (the ten most frequent labels; others grey)."""
    names = list(points)
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.1 * rows + 0.4), squeeze=False)
    common = sorted(int(v) for v in np.bincount(labels).argsort()[::-1][:10] if np.any(labels == v))
    for axis, name in zip(axes.flat, names):
        xy = points[name]
        other = ~np.isin(labels, common)
        axis.scatter(xy[other, 0], xy[other, 1], s=3, color="0.8")
        for i, value in enumerate(common):
            chosen = labels == value
            label = class_names[value] if class_names is not None and value < len(class_names) else str(value)
            axis.scatter(xy[chosen, 0], xy[chosen, 1], s=3, color=plt.cm.tab10(i), label=label)
        axis.set_title(name, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
    for axis in axes.flat[len(names):]:
        axis.set_axis_off()
    handles, texts = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, texts, loc="lower center", ncol=min(10, len(texts)), fontsize=7, markerscale=3)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, 0.05, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def time_curves(curves: dict[str, Any], path: Path, title: str = "", chance: float | None = None) -> Path | None:
    """Probe test accuracy on the states at each step of the sequence (how early the class is readable)."""
    if not curves:
        return None
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for name, curve in curves.items():
        steps = np.asarray(curve["steps"]) + 1
        for label, values in curve.items():
            if label == "steps":
                continue
            style = {"trained": dict(marker="o"), "init": dict(marker="s", ls="--"),
                     "raw input": dict(color="k", marker="x", ls=":", lw=1.5, zorder=5)}[label]
            shown = f"{name} {label}" if label != "raw input" else "raw input read so far"
            axis.plot(steps, values, label=shown, **style)
    if chance is not None:
        axis.axhline(chance, color="0.7", ls=":", label="chance")
    axis.set(xlabel="steps read", ylabel="probe test accuracy", title=f"{title}: class readable along time")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return save(figure, path)
