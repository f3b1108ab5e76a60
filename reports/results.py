"""Runs the results experiments and regenerates `experiments/RESULTS.md` from their run directories.

    python -m reports.results --run --seeds=3 --experiment=digits_linear --experiment=digits_cnn ...
    python -m reports.results --runs=runs/results --out=experiments/RESULTS.md   # table and plots only

Each (experiment, seed) trains into `RUNS/<experiment>/seed=<s>` (finished runs are skipped, unfinished
ones resume); sweeps (`python -m train --sweep=... --workdir=RUNS/<experiment>`) may sit beside them.
The table has one row per experiment and model: parameters, test accuracy mean and std over seeds,
train time, hardware. Below it: for each data set with `<data>_linear`, `<data>_mlp` and `<data>_cnn`
runs, whether linear < MLP < CNN holds on the means; runs that vary depth (MLP depth, conv stages or
convolutions per stage, residual blocks) against their number of layers with weights. PNGs show
learning curves per data set, test accuracy against depth, and the confusion matrix of each data
set's best model. Everything is read from `summary.json`, `metrics.jsonl` and `config.json`, so the
document is regenerated from the runs alone.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import statistics
import sys
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

from reports import plots, report


def _define_flags() -> None:
    """Flags exist only when this module is the program, so importing it (tests, other tools) never
    collides with the flags of `python -m train`."""
    global RUNS, OUT, RUN, SEEDS, EXPERIMENTS, IMAGES, NOTE
    RUNS = flags.DEFINE_multi_string("runs", ["runs/results"], "Directories of result runs (repeatable).")
    OUT = flags.DEFINE_string("out", DEFAULT_OUT, "Markdown file to write.")
    RUN = flags.DEFINE_bool("run", False, "Train the missing runs first.")
    SEEDS = flags.DEFINE_integer("seeds", 3, "Seeds per experiment (0 .. seeds-1) with --run.")
    EXPERIMENTS = flags.DEFINE_multi_string("experiment", [], "Experiments to run with --run.")
    IMAGES = flags.DEFINE_string("images", "", "Directory for the PNGs; default: docs/ for the project's page, "
                                 "else <out>_plots/ beside --out, so a partial page never overwrites docs/.")
    NOTE = flags.DEFINE_string("note", "", "A paragraph placed under the table (e.g. how loaded the machine was).")

DEFAULT_OUT = "experiments/RESULTS.md"


def default_images(out: Path) -> Path:
    """docs/ belongs to the committed results page; any other page gets its own folder beside it, so a
    one-experiment page (`--run --out=/tmp/x.md`) cannot replace the committed plots with partial ones."""
    if out.resolve() == Path(DEFAULT_OUT).resolve():
        return Path("docs")
    return out.with_name(out.stem + "_plots")


DEPTH_KEYS = ("model.depth", "model.blocks_per_stage", "model.convs_per_stage")
DEPTH_SWEEP_KEYS = DEPTH_KEYS + ("model.features",)  # what a depth study may vary (conv stages: model.features)
FAMILIES = ("linear", "mlp", "cnn")


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


def weight_layers(config: dict[str, Any]) -> int | None:
    """Layers with weights (dense, conv) on the longest path from input to logits, for image models; else None."""
    name, get = config.get("model.name"), config.get
    if name == "linear":
        return 1
    if name == "mlp":
        return int(config["model.depth"]) + 1
    if name == "cnn":
        return len(config["model.features"]) + 2
    if name == "lenet":
        return 5
    if name == "vgg":
        return len(config["model.features"]) * int(config["model.convs_per_stage"]) \
            + (1 if get("model.hidden", 0) else 0) + 1
    if name == "resnet":
        return 6 * int(config["model.blocks_per_stage"]) + 2
    return None


def _image_model_text(config: dict[str, Any]) -> str | None:
    """A short architecture string for image models, e.g. 'conv32-pool-conv64-pool-dense256, BN, dropout 0.4'."""
    name, get = config.get("model.name"), config.get
    if name == "linear":
        text = "softmax regression on the pixels"
    elif name == "mlp":
        text = f"MLP, {config['model.depth']} x {config['model.width']} ReLU"
    elif name == "cnn":
        pool = int(get("model.pool_after", -1)) % len(config["model.features"])
        text = "-".join(f"conv{c}" + ("-pool" if i == pool else "") for i, c in enumerate(config["model.features"]))
        text += f"-dense{config['model.hidden']}"
    elif name == "lenet":
        text = "LeNet-5"
    elif name == "vgg":
        stages = ["-".join([f"conv{c}"] * int(config["model.convs_per_stage"])) + "-pool"
                  for c in config["model.features"]]
        text = "-".join(stages) + (f"-dense{config['model.hidden']}" if get("model.hidden", 0) else "-avgpool")
        text += ", BN" if get("model.batch_norm", True) else ""
    elif name == "resnet":
        text = f"ResNet-{weight_layers(config)}" + (f" x{config['model.width']}" if get("model.width", 1) != 1 else "")
    else:
        return None
    extras = [f"dropout {config['model.dropout']:g}"] if get("model.dropout", 0) else []
    augment = ([f"±{config['augment.crop_padding']} px crops"] if get("augment.crop_padding", 0) else []) \
        + (["flips"] if get("augment.flip", False) else [])
    if augment:
        extras.append(" + ".join(augment))
    if get("dtype", "float32") != "float32":
        extras.append(config["dtype"])
    return ", ".join([text, *extras])


CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "Elman RNN"}


def _sequence_model_text(config: dict[str, Any]) -> str | None:
    """e.g. 'BiLSTM 128, embedding 128, max pooling, dropout 0.3' for the recurrent models and bag of words."""
    name, get = config.get("model.name"), config.get
    if name == "bow":
        return "bag of words, logistic regression"
    if name not in ("rnn_classifier", "rnn_lm", "rnn_regressor"):
        return None
    text = ("Bi" if get("model.bidirectional", False) else "") + CELL_NAMES.get(get("model.cell"), str(get("model.cell")))
    text += f" {get('model.hidden')}" + (f" x {get('model.num_layers')} layers" if get("model.num_layers", 1) > 1 else "")
    if name == "rnn_lm" or get("model.vocab_size", 0):
        text += f", embedding {get('model.embed_dim')}"
    if name == "rnn_classifier":
        pooling = get("model.pooling", "last")
        text += ", last state" if pooling == "last" else f", {pooling} pooling"
    if get("model.dropout", 0):
        text += f", dropout {get('model.dropout'):g}"
    return text


def _model_text(config: dict[str, Any]) -> str:
    known = _image_model_text(config) or _sequence_model_text(config)
    if known is not None:
        return known
    model = {k[len("model."):]: v for k, v in config.items() if k.startswith("model.")}
    name = model.pop("name")
    return name + (" (" + ", ".join(f"{k}={v}" for k, v in sorted(model.items())) + ")" if model else "")


def _recorded(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "config.json").read_text())


def _hardware(directory: Path) -> str:
    recorded = _recorded(directory)
    device = recorded.get("device_kind") or recorded.get("platform", "?")
    return f"{device}, {recorded.get('cpu_count', '?')} cores" if recorded.get("platform") == "cpu" else device


def command(recorded: dict[str, Any]) -> str:
    """The recorded command line, arguments shell-quoted so it can be pasted (sweeps hold ';' and '()')."""
    argv = recorded.get("command") or []
    if not argv:
        return ""
    program = "python -m train" if argv[0] == "__main__.py" else argv[0]  # runs recorded before module names
    return " ".join([program, *(shlex.quote(arg) for arg in argv[1:])])


def _file_part(name: str) -> str:
    """A data set or experiment name as part of a file name: 'uea/JapaneseVowels' -> 'uea_JapaneseVowels'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run["summary"] and "accuracy" in run["summary"]["eval"] and run["summary"].get("task") not in SEQUENCE_METRICS:
            groups.setdefault((run["config"]["experiment"], _model_text(run["config"])), []).append(run)
    variants: dict[str, int] = {}
    for experiment, _ in groups:
        variants[experiment] = variants.get(experiment, 0) + 1
    out = []
    for (experiment, model), members in groups.items():
        members = sorted(members, key=lambda r: r["config"].get("seed", 0))
        accuracies = [r["summary"]["eval"]["accuracy"] for r in members]
        accuracy, std = report.mean_std(accuracies)
        out.append({"experiment": experiment, "data": members[0]["config"]["data.name"], "model": model,
                    "model_name": members[0]["config"].get("model.name"), "layers": weight_layers(members[0]["config"]),
                    "swept": variants[experiment] > 1, "config": members[0]["config"],
                    "params": members[0]["summary"]["num_params"], "seeds": len(members),
                    "accuracy": accuracy, "std": std, "accuracies": accuracies,
                    "train_seconds": statistics.fmean(r["summary"]["train_seconds"] for r in members),
                    "hardware": _hardware(members[0]["dir"]), "runs": members})
    return sorted(out, key=lambda row: (row["data"], row["accuracy"]))


SEQUENCE_METRICS = {  # task -> (metric in the summary's eval, column text); lower is better for both
    "language_model": ("loss", "test loss, nats/token (bits/token)"),
    "regression": ("rmse", "test RMSE, data units"),
}


def metric_rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Language-model and regression runs grouped like `rows`, with their task's test metric."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        summary = run["summary"]
        if summary and summary.get("task") in SEQUENCE_METRICS:
            config = run["config"]
            model = "linear, on the window" if config.get("model.name") == "linear" else _model_text(config)
            groups.setdefault((config["experiment"], model), []).append(run)
    out = []
    for (experiment, model), members in sorted(groups.items()):
        members = sorted(members, key=lambda r: r["config"].get("seed", 0))
        task = members[0]["summary"]["task"]
        metric = SEQUENCE_METRICS[task][0]
        values = [r["summary"]["eval"][metric] for r in members]
        mean, std = report.mean_std(values)
        out.append({"experiment": experiment, "data": members[0]["config"]["data.name"], "model": model,
                    "task": task, "metric": metric, "mean": mean, "std": std, "values": values,
                    "params": members[0]["summary"]["num_params"], "seeds": len(members),
                    "train_seconds": statistics.fmean(r["summary"]["train_seconds"] for r in members),
                    "hardware": _hardware(members[0]["dir"]), "runs": members})
    return out


def metric_table(metric_rows_: Sequence[dict[str, Any]]) -> str:
    lines = ["| experiment | task | model | parameters | seeds | test metric (mean ± std) | train time | hardware |",
             "| --- | --- | --- | ---: | ---: | --- | ---: | --- |"]
    for row in metric_rows_:
        value = f"{row['mean']:.4f} ± {row['std']:.4f}"
        if row["task"] == "language_model":
            value = f"{row['mean']:.4f} ± {row['std']:.4f} nats ({row['mean'] / 0.6931471805599453:.3f} bits)"
        else:
            value = f"RMSE {value}"
        lines.append(f"| `{row['experiment']}` | {row['task'].replace('_', ' ')} | {row['model']} | {row['params']:,} | "
                     f"{row['seeds']} | {value} | {row['train_seconds']:.0f} s | {row['hardware']} |")
    return "\n".join(lines)


def table(result_rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| experiment | model | parameters | seeds | test accuracy (mean ± std) | train time | hardware |",
             "| --- | --- | ---: | ---: | --- | ---: | --- |"]
    for row in result_rows:
        lines.append(f"| `{row['experiment']}` | {row['model']} | {row['params']:,} | {row['seeds']} | "
                     f"{row['accuracy']:.4f} ± {row['std']:.4f} | {row['train_seconds']:.0f} s | {row['hardware']} |")
    return "\n".join(lines)


def ordering_table(result_rows: Sequence[dict[str, Any]]) -> str:
    """linear < MLP < CNN on each data set with unswept `<data>_linear`, `<data>_mlp`, `<data>_cnn` rows."""
    by_name = {row["experiment"]: row for row in result_rows if not row["swept"]}
    lines = []
    for data in sorted({row["data"] for row in result_rows}):
        found = [by_name.get(f"{data}_{family}") for family in FAMILIES]
        if not all(found):
            continue
        holds = found[0]["accuracy"] < found[1]["accuracy"] < found[2]["accuracy"]
        cells = [f"{row['accuracy']:.4f} ± {row['std']:.4f} ({row['seeds']})" for row in found]
        lines.append(f"| {data} | " + " | ".join(cells) + f" | {'yes' if holds else 'no'} |")
    if not lines:
        return ""
    return "\n".join(["| data set | linear (seeds) | MLP (seeds) | CNN (seeds) | linear < MLP < CNN |",
                      "| --- | --- | --- | --- | --- |", *lines])


def depth_rows(result_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of experiments whose runs differ only in depth keys (and seed), with a known layer count."""
    out = []
    for experiment in sorted({row["experiment"] for row in result_rows if row["swept"]}):
        members = [row for row in result_rows if row["experiment"] == experiment]
        runs = [r for row in members for r in row["runs"]]
        varying = set(report.differing_keys(runs))
        if varying and varying <= set(DEPTH_SWEEP_KEYS) and all(row["layers"] for row in members):
            for row in members:
                row["setting"] = ", ".join(f"{key}={row['config'].get(key)}" for key in sorted(varying))
            out += sorted(members, key=lambda row: row["layers"])
    return out


def depth_table(depth: Sequence[dict[str, Any]]) -> str:
    lines = ["| experiment | setting | model | layers with weights | parameters | seeds | test accuracy (mean ± std) | "
             "per seed | train time |", "| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: |"]
    for row in depth:
        lines.append(f"| `{row['experiment']}` | {row['setting']} | {row['model']} | {row['layers']} | "
                     f"{row['params']:,} | {row['seeds']} | "
                     f"{row['accuracy']:.4f} ± {row['std']:.4f} | {' / '.join(f'{a:.4f}' for a in row['accuracies'])} | "
                     f"{row['train_seconds']:.0f} s |")
    return "\n".join(lines)


def write(runs_dir: Path | Sequence[Path], out: Path, images: Path, note: str = "") -> str:
    roots = [Path(runs_dir)] if isinstance(runs_dir, (str, os.PathLike)) else [Path(p) for p in runs_dir]
    runs = [report.load_run(d) for d in report.find_runs(roots)]
    result_rows, sequence_rows = rows(runs), metric_rows(runs)
    if not result_rows and not sequence_rows:
        raise FileNotFoundError(f"no finished runs under {', '.join(map(str, roots))}")
    images.mkdir(parents=True, exist_ok=True)
    pictures = []
    depth = depth_rows(result_rows)
    in_depth = {id(row) for row in depth}
    for data_name in sorted({row["data"] for row in result_rows}):
        members = [row for row in result_rows if row["data"] == data_name and id(row) not in in_depth] \
            or [row for row in result_rows if row["data"] == data_name]  # depth studies have their own plot
        curves = []
        for row in members:
            for index, run in enumerate(row["runs"]):
                curves.append({**run, "group": row["experiment"] if not row["swept"] else
                               f"{row['experiment']} ({row['layers'] or row['model']})", "seed_index": index})
        pictures.append(plots.learning_curves(curves, images / f"results_{_file_part(data_name)}_learning_curves.png",
                                              title=data_name))
    for data_name in sorted({row["data"] for row in sequence_rows}):
        members = [row for row in sequence_rows if row["data"] == data_name]
        curves = [{**run, "group": row["experiment"], "seed_index": index}
                  for row in members for index, run in enumerate(row["runs"])]
        pictures.append(plots.learning_curves(curves, images / f"results_{_file_part(data_name)}_learning_curves.png",
                                              title=data_name, metric=members[0]["metric"]))
    for key in DEPTH_KEYS:
        for experiment in sorted({row["experiment"] for row in result_rows}):
            members = [r for row in result_rows if row["experiment"] == experiment for r in row["runs"]]
            values = {r["config"].get(key) for r in members}
            if len(values) > 1:
                points = []
                for value in sorted(values):
                    points.append((value, *report.mean_std([r["summary"]["eval"]["accuracy"] for r in members
                                                      if r["config"].get(key) == value])))
                pictures.append(plots.metric_against_key(
                    key, points, "accuracy", images / f"results_{_file_part(experiment)}_accuracy_vs_{key.split('.')[1]}.png"))
    if len({row["experiment"] for row in depth}) > 1:  # one plot comparing the families on a common axis
        series: dict[str, list[tuple[float, float, float]]] = {}
        for row in depth:
            series.setdefault(row["experiment"], []).append((row["layers"], row["accuracy"], row["std"]))
        pictures.append(plots.series_against_x(series, "layers with weights", "test accuracy",
                                               "test accuracy against depth (mean ± std over seeds)",
                                               images / "results_accuracy_vs_depth.png"))
    best_rows = []
    for data_name in sorted({row["data"] for row in result_rows}):
        best = max((row for row in result_rows if row["data"] == data_name), key=lambda row: row["accuracy"])
        run = max(best["runs"], key=lambda r: r["summary"]["eval"]["accuracy"])
        if "confusion_matrix" in run["summary"]:
            best_rows.append((best, run))
            pictures.append(plots.confusion_matrix(
                run["summary"]["confusion_matrix"], images / f"results_confusion_{_file_part(best['experiment'])}.png",
                title=f"{best['experiment']} seed {run['config'].get('seed', 0)}: test confusion",
                class_names=run["summary"].get("class_names")))
    relative = lambda p: Path(os.path.relpath(p, out.parent)).as_posix()  # noqa: E731
    body = ["# Results", "",
            f"Regenerate: `python -m reports.results {' '.join(f'--runs={r}' for r in roots)} --out={out}` "
            "(after the runs below). Test accuracy is on each data set's held-out test split, as a fraction; "
            "train time is the mean wall time of the training loop (`train_seconds`; data loading, compilation "
            "and the final evaluation excluded).", ""]
    if result_rows:
        body += [table([row for row in result_rows if id(row) not in in_depth]), ""]
    if sequence_rows:
        body += ["Language models and forecasters (lower is better): a language model's loss is the mean "
                 "cross-entropy per token on the test split; a forecaster's RMSE is in the data's own units.", "",
                 metric_table(sequence_rows), ""]
    if note:
        body += [note, ""]
    ordering = ordering_table(result_rows)
    if ordering:
        body += ["Softmax regression, an MLP and a CNN on each image set (mean ± std over the seeds in brackets):",
                 "", ordering, ""]
    if depth:
        body += ["Depth: each experiment below changes only its depth keys; steps, optimiser and schedule are "
                 "the experiment's own and the same at every depth.", "", depth_table(depth), ""]
    for best, run in best_rows:
        body.append(f"Best on {best['data']}: `{best['experiment']}`, seed {run['config'].get('seed')} reached "
                    f"test accuracy {run['summary']['eval']['accuracy']:.4f} (confusion matrix below).")
    body += [""] + [f"![{p.stem}]({relative(p)})" for p in pictures]
    commands = sorted({command(_recorded(r["dir"])) for row in [*result_rows, *sequence_rows]
                       for r in row["runs"]} - {""})
    body += ["", "Commands that produced these runs (recorded in each run's config.json):", "", "```"]
    body += commands
    body += ["```"]
    notes = out.with_name(out.stem.lower() + "_notes.md")
    if notes.exists():  # hand-written context kept across regenerations
        body += ["", notes.read_text().strip()]
    text = "\n".join(body) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)  # orbax and tfds log every file at INFO
    roots = [Path(p) for p in RUNS.value]
    if RUN.value:
        from train import loop
        try:
            run_missing(EXPERIMENTS.value, SEEDS.value, roots[0])
        except loop.Interrupted as stop:  # the run saved a checkpoint; the same command resumes it
            print(f"stopped by signal {stop.signum} at step {stop.step}; checkpoint saved; "
                  "run the same command to resume", file=sys.stderr)
            sys.exit(130 if stop.signum == 2 else 0)
    try:
        out = Path(OUT.value)
        text = write(roots, out, Path(IMAGES.value) if IMAGES.value else default_images(out), NOTE.value)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    print(text)


if __name__ == "__main__":
    _define_flags()
    from train import runtime

    runtime.configure_cpu()
    app.run(main)
