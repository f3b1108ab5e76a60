"""What `python -m analysis` leaves in a run: `analysis/layers.json`, the PNGs, and the same in TensorBoard."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from analysis import eeg, pictures
from analysis.layers import Analysis


def two_d_maps(analysis: Analysis, out: Path, title: str, tsne_examples: int, class_names=None) -> list[Path]:
    """PCA and t-SNE maps of each layer's evaluation activations (trained), coloured by the first target."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits
    report = analysis.report
    language_model = report["task"] == "language_model"
    part = analysis.parts["test" if language_model else "cka"]
    rows = np.arange(min(len(part), tsne_examples or len(part))) if language_model else part.rows
    target = report["targets"][-1] if language_model else report["targets"][0]
    labels = (analysis.parts["test"].targets[target])[rows]
    pca, tsne = {}, {}
    for entry in report["layers"]:
        x = analysis.test_views["trained"][entry["name"]][entry["view"]][rows]
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        reduced = PCA(n_components=min(50, x.shape[1], len(x)), random_state=0).fit_transform(x)
        pca[entry["name"]] = reduced[:, :2]
        if tsne_examples:
            chosen = reduced[:tsne_examples]
            with threadpool_limits(1):  # OpenMP threads on a busy 2-core machine ran 4x slower than one
                tsne[entry["name"]] = TSNE(n_components=2, init="pca", random_state=0, max_iter=500,
                                           perplexity=min(30.0, (len(chosen) - 1) / 3)).fit_transform(chosen)
    names = None if language_model else class_names
    paths = [pictures.embeddings(pca, labels, out / "pca.png", f"{title}: PCA of each layer (test, coloured by "
                                 f"{pictures.TARGET_TITLES.get(target, target)})", names)]
    if tsne:
        paths.append(pictures.embeddings(tsne, labels[:tsne_examples], out / "tsne.png",
                                         f"{title}: t-SNE of each layer ({len(labels[:tsne_examples])} test examples)",
                                         names))
    return paths


def draw(run: Any, analysis: Analysis, out: Path, tsne_examples: int = 500) -> list[Path]:
    """Every picture that applies to this run."""
    title = f"{run.config.experiment} ({Path(run.workdir).name})"
    report = analysis.report
    paths = [pictures.probe_curves(report, out / "probes.png", title),
             pictures.cka_heatmaps(analysis.layers, analysis.cka, out / "cka.png", title)]
    initial = run.initial_state()
    paths.append(pictures.filters(run.state.params, initial.params, run.dataset.input_shape, out / "filters.png", title))
    if run.dataset.task == "classification" and len(run.dataset.input_shape) == 3:
        test = run.dataset.splits[run.dataset.eval_split].inputs
        units = {name: views.get("max", views.get("vector")) for name, views in analysis.test_views["trained"].items()
                 if name not in ("input", "logits")}
        chosen = list(units)[:: max(1, len(units) // 4)][:4]
        paths.append(pictures.top_inputs(test, {k: units[k] for k in chosen}, out / "top_inputs.png", title))
    paths += two_d_maps(analysis, out, title, tsne_examples)
    if "time" in report:
        paths.append(pictures.time_curves(report["time"], out / "time.png", title, 1.0 / run.dataset.num_classes))
    paths.append(eeg.run_filters(run, out / "eeg_filters.png", title))
    return [p for p in paths if p is not None]


def write_json(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    os.replace(tmp, path)


def to_tensorboard(workdir: Path, report: dict[str, Any], images: list[Path]) -> None:
    """Per-layer probe accuracies as scalars (x axis: layer index), the table as text, the PNGs as images."""
    import matplotlib.image
    from tensorboardX import SummaryWriter
    writer = SummaryWriter(str(workdir / "tensorboard"))
    try:
        for index, entry in enumerate(report["layers"]):
            for net, key in (("trained", "probe_test_accuracy"), ("init", "init_test_accuracy")):
                writer.add_scalar(f"layers/probe_test_accuracy_{net}", entry[key], index)
        writer.add_text("layers/table", table(report), report["step"])
        for path in images:
            image = matplotlib.image.imread(str(path))[..., :3]
            writer.add_image(f"layers/{path.stem}", (image * 255).astype(np.uint8) if image.dtype != np.uint8
                             else image, report["step"], dataformats="HWC")
    finally:
        writer.close()


def table(report: dict[str, Any]) -> str:
    """Markdown: one row per layer, probe accuracies (trained train/test, at init, global average) and CKA to
    the input and to the logits."""
    target = report["targets"][0]
    names = [e["name"] for e in report["layers"]]
    lines = ["| layer | shape | probe reads | train acc | test acc | at init | global avg (trained / init) | "
             "CKA to input | CKA trained vs init |", "|" + " --- |" * 9]
    for entry in report["layers"]:
        probe = entry["probes"][target]
        gap = probe.get("gap")
        gap_text = f"{gap['trained']['test_accuracy']:.3f} / {gap.get('init', gap['trained'])['test_accuracy']:.3f}" \
            if gap else "-"
        to_input = f"{entry['cka']['trained'][names.index('input')]:.2f}" if "input" in names else "-"
        lines.append(f"| {entry['name']} | {'x'.join(map(str, entry['shape']))} | {entry['view']} | "
                     f"{entry['probe_train_accuracy']:.3f} | {entry['probe_test_accuracy']:.3f} | "
                     f"{entry['init_test_accuracy']:.3f} | {gap_text} | {to_input} | "
                     f"{entry['cka']['trained_vs_init']:.2f} |")
    return "\n".join(lines)


def save(run: Any, analysis: Analysis, out: Path, tsne_examples: int, say=lambda m: None) -> list[Path]:
    """Pictures, layers.json and TensorBoard; returns the PNG paths."""
    clock = time.perf_counter()
    images = draw(run, analysis, out, tsne_examples)
    analysis.report["seconds"]["pictures"] = time.perf_counter() - clock
    say(f"pictures: {analysis.report['seconds']['pictures']:.1f}s")
    analysis.report["pictures"] = [p.name for p in images]
    write_json(analysis.report, out / "layers.json")
    to_tensorboard(Path(run.workdir), analysis.report, images)
    return images

