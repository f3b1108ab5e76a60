"""`python -m analysis.page`: train and analyse the runs behind experiments/LAYERS.md, then rewrite its tables.

    python -m analysis.page --run            # train what is missing (nice it), analyse, rewrite the page
    python -m analysis.page                  # analyse what is not analysed yet, rewrite the page

Each run trains into `RUNS/<label>/seed=<s>` (finished runs are skipped, unfinished ones resume) and is
analysed in place (`python -m analysis --workdir=...` with the defaults); runs with several seeds are
compared seed against seed (cross-run CKA), and the shallow and the deep MLP against each other. The
part of the page between the `layers` markers is regenerated from the runs' `analysis/layers.json`
files; the text around it is written by hand.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import statistics
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

from train import runtime

runtime.configure_cpu()

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- layers:begin -->", "<!-- layers:end -->"


@dataclasses.dataclass(frozen=True)
class Spec:
    label: str
    experiment: str
    seeds: int
    overrides: tuple[tuple[str, str], ...] = ()
    note: str = ""


SPECS = (
    Spec("digits_cnn", "digits_cnn", 3),
    Spec("fashion_mnist_cnn", "fashion_mnist_cnn", 3),
    Spec("fashion_mnist_resnet", "fashion_mnist_resnet", 1,
         (("num_steps", "500"), ("checkpoint_every", "250"), ("eval_every", "500")),
         "ResNet-20 on a short schedule, 500 of its 16,000 steps (warm-up and cosine compressed to 500 steps)"),
    Spec("fashion_mnist_depth_mlp_8", "fashion_mnist_depth_mlp", 3, (("model.depth", "8"),),
         "the deepest MLP of the depth study: 8 hidden layers of 256"),
    Spec("fashion_mnist_depth_mlp_1", "fashion_mnist_depth_mlp", 1, (("model.depth", "1"),),
         "the shallowest MLP of the depth study, compared with the deepest"),
    Spec("japanese_vowels_gru", "japanese_vowels_gru", 3),
    Spec("shakespeare_lstm", "shakespeare_lstm", 1, (), "analysed at its newest checkpoint; `--run` resumes it to the "
         "end of its schedule"),
    Spec("scp1_eegnet", "eeg/scp1_eegnet", 3),
    Spec("scp1_features", "eeg/scp1_features", 1, (), "softmax regression on the classic EEG feature vector"),
)
PAIRS = (("fashion_mnist_depth_mlp_1", "fashion_mnist_depth_mlp_8"),)


def _define_flags() -> None:
    global RUNS, OUT, IMAGES, RUN, REANALYSE, ONLY
    RUNS = flags.DEFINE_string("runs", "runs/layers", "Directory of the page's runs.")
    OUT = flags.DEFINE_string("out", str(ROOT / "experiments" / "LAYERS.md"), "Markdown file to rewrite.")
    IMAGES = flags.DEFINE_string("images", str(ROOT / "docs" / "layers"), "Directory for the page's PNGs.")
    RUN = flags.DEFINE_bool("run", False, "Train the missing runs first (slow: hours on a 2-core CPU).")
    REANALYSE = flags.DEFINE_bool("reanalyse", False, "Analyse every run again, even those already analysed.")
    ONLY = flags.DEFINE_list("only", [], "Restrict to these labels.")


def has_checkpoint(workdir: Path) -> bool:
    return (workdir / "config.json").exists() and any(p.name.isdigit() for p in (workdir / "checkpoints").glob("*"))


def run_dirs(root: Path, spec: Spec) -> list[Path]:
    """The spec's runs that have saved a checkpoint, finished or not."""
    return [root / spec.label / f"seed={s}" for s in range(spec.seeds) if has_checkpoint(root / spec.label / f"seed={s}")]


def train_missing(root: Path, spec: Spec, say) -> None:
    import layerwise
    for seed in range(spec.seeds):
        workdir = root / spec.label / f"seed={seed}"
        if (workdir / "summary.json").exists():
            continue
        config = layerwise.experiment(spec.experiment, **dict(spec.overrides), seed=seed)
        say(f"training {spec.label} seed {seed} -> {workdir}")
        layerwise.run(config, workdir, progress="plain")


def analyse_missing(directories: Sequence[Path], force: bool, say) -> None:
    from analysis import run as runs, outputs
    from analysis.layers import Options, analyse
    for workdir in directories:
        if (workdir / "analysis" / "layers.json").exists() and not force:
            continue
        run = runs.restore(workdir)
        analysis = analyse(run, Options(), say)
        outputs.save(run, analysis, workdir / "analysis", 500, say)


def cross_cka(first: Path, second: Path, force: bool) -> dict[str, Any]:
    """The layer-to-layer CKA of two runs, cached beside the first run."""
    from analysis import run as runs, compare
    from analysis.layers import Options
    path = first / "analysis" / f"cka_vs_{compare.label(second)}.json"
    if path.exists() and not force:
        return json.loads(path.read_text())
    result = compare.compare(runs.restore(first), runs.restore(second), Options())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _mean_std(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def _probe(entry: dict[str, Any], target: str, net: str, view: str | None = None) -> float | None:
    probes = entry["probes"][target].get(view or entry["view"], {})
    result = probes.get(net) or (probes.get("trained") if entry["name"] == "input" else None)
    return None if result is None else result["test_accuracy"]


def _largest_drop(values: Sequence[float], names: Sequence[str]) -> tuple[float, str]:
    drops = [(values[i] - values[i + 1], f"{names[i]} → {names[i + 1]}") for i in range(len(values) - 1)]
    return max(drops) if drops else (0.0, "")


def section(spec: Spec, reports: list[dict[str, Any]], seed_cka: list[dict[str, Any]], images: Path, page_dir: Path) -> str:
    """Markdown for one run family: what ran, the per-layer table, the verdicts, the figures."""
    from analysis import pictures
    first = reports[0]
    names = [e["name"] for e in first["layers"]]
    hidden = [n for n in names if n != "input"]
    lines = [f"### {spec.label}", ""]
    accuracy = [r["model_test_accuracy"] for r in reports]
    steps = sorted({r["step"] for r in reports})
    what = f"`{spec.experiment}`" + (" with " + ", ".join(f"`{k}={v}`" for k, v in spec.overrides)
                                     if spec.overrides else "")
    seeds = f"{len(reports)} seed{'s' if len(reports) > 1 else ''}"
    lines.append(f"{what}{': ' + spec.note if spec.note else ''}. {seeds}, "
                 f"checkpoint at step {', '.join(map(str, steps))}, the model's own test accuracy on the probes' test "
                 f"examples {_mean_std(accuracy)}.")
    lines.append("")
    for target in first["targets"]:
        title = pictures.TARGET_TITLES.get(target, target)
        header = ["layer", "shape", "probe reads", f"trained: {title} test acc", "at initialisation",
                  "trained, global average"]
        if seed_cka:
            header.append("CKA across seeds")
        lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        per_layer = {}
        for i, name in enumerate(names):
            entries = [r["layers"][i] for r in reports]
            trained = [_probe(e, target, "trained") for e in entries]
            init = [_probe(e, target, "init") for e in entries]
            gap = [_probe(e, target, "trained", "gap") for e in entries]
            per_layer[name] = (trained, init)
            row = [name, "x".join(map(str, entries[0]["shape"])), entries[0]["view"], _mean_std(trained),
                   _mean_std(init) if name != "input" else "(same)",
                   _mean_std(gap) if None not in gap else "-"]
            if seed_cka:
                values = [c["cka"][c["rows"].index(name)][c["columns"].index(name)] for c in seed_cka
                          if name in c["rows"] and name in c["columns"]]
                row.append(_mean_std(values) if values else "-")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        trained_means = [statistics.mean(per_layer[n][0]) for n in hidden]
        init_means = [statistics.mean(per_layer[n][1]) for n in hidden]
        if len(hidden) > 1:
            drop, where = _largest_drop(trained_means, hidden)
            verdict = "yes" if drop <= 0.002 else f"no (largest fall {drop:.3f}, {where})"
            best = max(trained_means)
            lines.append(f"- {title}: trained probe accuracy rises monotonically with depth (to within 0.002): "
                         f"**{verdict}**; from {trained_means[0]:.3f} ({hidden[0]}) to {trained_means[-1]:.3f} "
                         f"({hidden[-1]}), best {best:.3f} ({hidden[trained_means.index(best)]}).")
            lines.append(f"- {title}: at initialisation from {init_means[0]:.3f} ({hidden[0]}) to "
                         f"{init_means[-1]:.3f} ({hidden[-1]}), range {min(init_means):.3f}-{max(init_means):.3f}.")
        if "input" in per_layer:
            lines.append(f"- {title}: the raw input's own probe: {statistics.mean(per_layer['input'][0]):.3f}.")
        lines.append("")
    if "time" in first:
        for name, curve in first["time"].items():
            parts = [f"{k}: " + " ".join(f"{v:.2f}" for v in curve[k]) for k in curve if k != "steps"]
            lines.append(f"- along time, `{name}` at steps {', '.join(str(s + 1) for s in curve['steps'])}: "
                         + "; ".join(parts) + " (seed 0).")
        lines.append("")
    figures = _figures(spec, reports, seed_cka, images)
    lines += [f"![{spec.label}: {caption}]({Path(_relative(path, page_dir))})" for caption, path in figures]
    seconds = first.get("seconds", {})
    lines += ["", "Analysis stages of seed 0 in seconds (on a shared, loaded machine; see Speed): "
              + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()), ""]
    return "\n".join(lines)


def _relative(path: Path, start: Path) -> str:
    import os
    return os.path.relpath(path, start)


def _figures(spec: Spec, reports: list[dict[str, Any]], seed_cka: list[dict[str, Any]],
             images: Path) -> list[tuple[str, Path]]:
    """The probe curve over seeds, seed 0's CKA heatmap, and the same-layer CKA across seeds."""
    import numpy as np
    from analysis import pictures
    plt = pictures.plt
    first = reports[0]
    targets = first["targets"]
    names = [e["name"] for e in first["layers"] if e["name"] != "input"]
    figure, axes = plt.subplots(1, len(targets) + (1 if seed_cka else 0),
                                figsize=(5.2 * (len(targets) + (1 if seed_cka else 0)) + 0.6 * len(names) / 3, 4.3),
                                squeeze=False)
    x = np.arange(len(names))
    for axis, target in zip(axes[0], targets):
        for net, label in (("trained", "trained"), ("init", "at initialisation")):
            values = np.array([[_probe(r["layers"][i + (1 if r["layers"][0]["name"] == "input" else 0)], target, net)
                                for i in range(len(names))] for r in reports], dtype=float)
            axis.errorbar(x, values.mean(0), yerr=values.std(0) if len(reports) > 1 else None, capsize=3,
                          label=label, **pictures.NET_STYLE[net])
        raw = next((e for e in first["layers"] if e["name"] == "input"), None)
        if raw is not None:
            axis.axhline(statistics.mean(_probe(r["layers"][0], target, "trained") for r in reports), color="0.3",
                         lw=1.2, label=f"raw input ({raw['view']})")
        axis.set_xticks(x, names, rotation=45 if len(names) > 5 else 0, ha="right" if len(names) > 5 else "center")
        axis.set(ylabel="probe test accuracy", title=f"{spec.label}: {pictures.TARGET_TITLES.get(target, target)}"
                 + (f" ({len(reports)} seeds)" if len(reports) > 1 else ""))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if seed_cka:
        axis = axes[0][-1]
        all_names = [e["name"] for e in first["layers"] if all(e["name"] in c["rows"] for c in seed_cka)]
        values = np.array([[c["cka"][c["rows"].index(n)][c["columns"].index(n)] for n in all_names]
                           for c in seed_cka])
        axis.errorbar(np.arange(len(all_names)), values.mean(0), yerr=values.std(0), marker="o", capsize=3)
        axis.set_xticks(np.arange(len(all_names)), all_names, rotation=45 if len(all_names) > 5 else 0,
                        ha="right" if len(all_names) > 5 else "center")
        axis.set(ylim=(0, 1.02), ylabel="linear CKA, same layer, two seeds",
                 title=f"similarity across seeds ({len(seed_cka)} pairs)")
        axis.grid(alpha=0.3)
    images.mkdir(parents=True, exist_ok=True)
    out = [("probe accuracy per layer", pictures.save(figure, images / f"{spec.label}_probes.png"))]
    heatmap = Path(first["workdir"]) / "analysis" / "cka.png"
    if heatmap.exists():
        target = images / f"{spec.label}_cka.png"
        target.write_bytes(heatmap.read_bytes())
        out.append(("CKA between layers, trained and at initialisation (seed 0)", target))
    for extra in ("time", "eeg_filters", "filters", "tsne"):
        path = Path(first["workdir"]) / "analysis" / f"{extra}.png"
        if path.exists() and (extra != "tsne" or spec.label in ("fashion_mnist_cnn", "fashion_mnist_resnet")):
            target = images / f"{spec.label}_{extra}.png"
            target.write_bytes(path.read_bytes())
            out.append((extra.replace("_", " "), target))
    return out


def pair_section(first: Path, second: Path, result: dict[str, Any], images: Path, page_dir: Path) -> str:
    from analysis import compare
    path = compare.draw(result, images / f"cka_{first.parent.name}_vs_{second.parent.name}.png")
    rows, columns = result["rows"], result["columns"]
    best = [columns[int(max(range(len(columns)), key=lambda j: result["cka"][i][j]))] for i in range(len(rows))]
    text = [f"### {first.parent.name} against {second.parent.name}", "",
            f"Linear CKA on {result['examples']} test examples, rows: {first}, columns: {second}. "
            "The most similar layer of the second run for each layer of the first: "
            + ", ".join(f"{r} → {b} ({max(result['cka'][i]):.2f})" for i, (r, b) in enumerate(zip(rows, best))) + ".",
            "", f"![CKA between the two runs]({_relative(path, page_dir)})", ""]
    return "\n".join(text)


def rewrite(path: Path, body: str) -> None:
    text = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    path.write_text(pattern.sub(lambda _: f"{BEGIN}\n{body}\n{END}", text, count=1))


def main(argv: Sequence[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)
    from train.logs import say
    runtime.enable_compilation_cache()
    root, images, out = Path(RUNS.value), Path(IMAGES.value), Path(OUT.value)
    specs = [s for s in SPECS if not ONLY.value or s.label in ONLY.value]
    sections = []
    for spec in specs:
        if RUN.value:
            train_missing(root, spec, say)
        directories = run_dirs(root, spec)
        if not directories:
            say(f"{spec.label}: no finished run in {root / spec.label}; skipped (train it with --run)")
            continue
        analyse_missing(directories, REANALYSE.value, say)
        reports = [json.loads((d / "analysis" / "layers.json").read_text()) for d in directories]
        seed_cka = [cross_cka(a, b, REANALYSE.value) for a, b in itertools.combinations(directories, 2)]
        sections.append(section(spec, reports, seed_cka, images, out.parent))
    for a, b in PAIRS:
        first, second = root / a / "seed=0", root / b / "seed=0"
        if has_checkpoint(first) and has_checkpoint(second):
            sections.append(pair_section(first, second, cross_cka(first, second, REANALYSE.value), images,
                                         out.parent))
    rewrite(out, "\n".join(sections))
    say(f"wrote {out}")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
