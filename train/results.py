"""Runs the results experiments and regenerates `experiments/RESULTS.md` from their run directories.

    python -m train.results --run --seeds=3 --experiment=digits_linear --experiment=digits_cnn ...
    python -m train.results --runs=runs/results --out=experiments/RESULTS.md   # table and plots only

Each (experiment, seed) trains into `RUNS/<experiment>/seed=<s>` (finished runs are skipped, unfinished
ones resume). The table has one row per experiment and model: parameters, test accuracy mean and std
over seeds, train time, hardware; PNGs beside RESULTS.md show learning curves per data set, test
accuracy against depth (for runs that vary `model.depth` or `model.blocks_per_stage`), and the
confusion matrix of the best model. Everything is read from `summary.json`, `metrics.jsonl` and
`config.json`, so the document is regenerated from the runs alone.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

from train import plots, report

RUNS = flags.DEFINE_string("runs", "runs/results", "Directory of result runs.")
OUT = flags.DEFINE_string("out", "experiments/RESULTS.md", "Markdown file to write (PNGs go to docs/).")
RUN = flags.DEFINE_bool("run", False, "Train the missing runs first.")
SEEDS = flags.DEFINE_integer("seeds", 3, "Seeds per experiment (0 .. seeds-1) with --run.")
EXPERIMENTS = flags.DEFINE_multi_string("experiment", [], "Experiments to run with --run.")
IMAGES = flags.DEFINE_string("images", "docs", "Directory for the PNGs.")

DEPTH_KEYS = ("model.depth", "model.blocks_per_stage", "model.convs_per_stage")


def run_missing(names: Sequence[str], seeds: int, root: Path) -> None:
    import experiments
    from train import loop, runtime
    from train.logs import say

    runtime.enable_compilation_cache()
    for name in names:
        for seed in range(seeds):
            workdir = root / name / f"seed={seed}"
            if (workdir / "summary.json").exists():
                continue
            config = experiments.get_config(name)
            config.seed = seed
            say(f"results: {name} seed {seed} -> {workdir}")
            loop.train_and_evaluate(config, workdir)


def _model_text(config: dict[str, Any]) -> str:
    model = {k[len("model."):]: v for k, v in config.items() if k.startswith("model.")}
    name = model.pop("name")
    return name + (" (" + ", ".join(f"{k}={v}" for k, v in sorted(model.items())) + ")" if model else "")


def _hardware(directory: Path) -> str:
    recorded = json.loads((directory / "config.json").read_text())
    device = recorded.get("device_kind") or recorded.get("platform", "?")
    return f"{device}, {recorded.get('cpu_count', '?')} cores" if recorded.get("platform") == "cpu" else device


def rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run["summary"] and "accuracy" in run["summary"]["eval"]:
            groups.setdefault((run["config"]["experiment"], _model_text(run["config"])), []).append(run)
    out = []
    for (experiment, model), members in groups.items():
        accuracies = [r["summary"]["eval"]["accuracy"] for r in members]
        out.append({"experiment": experiment, "data": members[0]["config"]["data.name"], "model": model,
                    "params": members[0]["summary"]["num_params"], "seeds": len(members),
                    "accuracy": statistics.fmean(accuracies),
                    "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
                    "train_seconds": statistics.fmean(r["summary"]["train_seconds"] for r in members),
                    "hardware": _hardware(members[0]["dir"]), "runs": members})
    return sorted(out, key=lambda row: (row["data"], row["accuracy"]))


def table(result_rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| experiment | model | parameters | seeds | test accuracy (mean ± std) | train time | hardware |",
             "| --- | --- | ---: | ---: | --- | ---: | --- |"]
    for row in result_rows:
        lines.append(f"| `{row['experiment']}` | {row['model']} | {row['params']:,} | {row['seeds']} | "
                     f"{row['accuracy']:.4f} ± {row['std']:.4f} | {row['train_seconds']:.0f} s | {row['hardware']} |")
    return "\n".join(lines)


def write(runs_dir: Path, out: Path, images: Path) -> str:
    runs = [report.load_run(d) for d in report.find_runs([runs_dir])]
    result_rows = rows(runs)
    if not result_rows:
        raise FileNotFoundError(f"no finished classification runs under {runs_dir}")
    images.mkdir(parents=True, exist_ok=True)
    pictures = []
    for data_name in sorted({row["data"] for row in result_rows}):
        members = [row for row in result_rows if row["data"] == data_name]
        curves = []
        for row in members:
            for index, run in enumerate(sorted(row["runs"], key=lambda r: r["config"].get("seed", 0))):
                curves.append({**run, "group": row["experiment"], "seed_index": index})
        pictures.append(plots.learning_curves(curves, images / f"results_{data_name}_learning_curves.png"))
    for key in DEPTH_KEYS:
        for experiment in sorted({row["experiment"] for row in result_rows}):
            members = [r for row in result_rows if row["experiment"] == experiment for r in row["runs"]]
            values = {r["config"].get(key) for r in members}
            if len(values) > 1:
                points = []
                for value in sorted(values):
                    accs = [r["summary"]["eval"]["accuracy"] for r in members if r["config"].get(key) == value]
                    points.append((value, statistics.fmean(accs), statistics.stdev(accs) if len(accs) > 1 else 0.0))
                pictures.append(plots.metric_against_key(
                    key, points, "accuracy", images / f"results_{experiment}_accuracy_vs_{key.split('.')[1]}.png"))
    best = max((r for row in result_rows for r in row["runs"]), key=lambda r: r["summary"]["eval"]["accuracy"])
    pictures.append(plots.confusion_matrix(best["summary"]["confusion_matrix"],
                                           images / f"results_confusion_{best['config']['experiment']}.png"))
    relative = lambda p: Path("..") / p if not p.is_absolute() else p  # noqa: E731 - RESULTS.md sits in experiments/
    body = ["# Results", "",
            f"Regenerate: `python -m train.results --runs={runs_dir} --out={out}` (after the runs below).", "",
            table(result_rows), "",
            f"Best single run: `{best['config']['experiment']}` seed {best['config'].get('seed')}, test accuracy "
            f"{best['summary']['eval']['accuracy']:.4f} (confusion matrix below).", ""]
    body += [f"![{p.stem}]({relative(p)})" for p in pictures]
    commands = sorted({" ".join(json.loads((r["dir"] / "config.json").read_text()).get("command", []))
                       for row in result_rows for r in row["runs"]})
    body += ["", "Commands that produced these runs (recorded in each run's config.json):", "", "```"]
    body += commands
    body += ["```"]
    text = "\n".join(body) + "\n"
    out.write_text(text)
    return text


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)  # orbax and tfds log every file at INFO
    root = Path(RUNS.value)
    if RUN.value:
        run_missing(EXPERIMENTS.value, SEEDS.value, root)
    text = write(root, Path(OUT.value), Path(IMAGES.value))
    print(text)


if __name__ == "__main__":
    from train import runtime

    runtime.configure_cpu()
    app.run(main)
