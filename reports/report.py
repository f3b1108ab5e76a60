"""`python -m reports.report DIR...`: compare runs as a markdown table and PNG plots.

Reads each run's `config.json`, `metrics.jsonl` and `summary.json` (a DIR may be a run or any
directory above runs, such as a sweep). Columns are the config keys whose values differ between
runs (the seed aside); runs that differ only in seed form one row, reported as mean and std.
Writes `report.md`, `learning_curves.png`, `accuracy_vs_<key>.png` per differing key and
`confusion_matrix.png` of the best run into `--out` (default: the first DIR), and prints the table.
`--split=validation` tables another split than the one a run reports (its test split), which is what
choosing hyperparameters on validation data needs.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any, Sequence

from reports import plots
from train import overrides


def find_runs(paths: Sequence[Path]) -> list[Path]:
    """Every directory holding a config.json at or below `paths`, sorted, without duplicates."""
    found = set()
    for path in paths:
        found |= {p.parent for p in Path(path).glob("**/config.json")}
    return sorted(found)


def load_run(directory: Path) -> dict[str, Any]:
    config = overrides.flatten(json.loads((directory / "config.json").read_text())["config"])
    summary_path, metrics_path = directory / "summary.json", directory / "metrics.jsonl"
    metrics = []
    if metrics_path.exists():
        for line in metrics_path.read_text().splitlines():
            try:
                metrics.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a kill
    return {"dir": directory, "config": config, "metrics": metrics,
            "summary": json.loads(summary_path.read_text()) if summary_path.exists() else None}


def differing_keys(runs: Sequence[dict[str, Any]]) -> list[str]:
    keys = sorted(set().union(*(run["config"] for run in runs)))
    return [k for k in keys if k != "seed" and len({repr(run["config"].get(k)) for run in runs}) > 1]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value): every table's "mean ± std over seeds"."""
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def metrics_of(run: dict[str, Any], split: str | None) -> dict[str, float]:
    """A finished run's metrics on `split` (None: the split it reports, `eval`)."""
    return run["summary"]["eval"] if split is None else run["summary"]["splits"][split]


def summarise(runs: Sequence[dict[str, Any]], split: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(differing keys, one row per group of finished runs that differ only in seed), metrics of `split`."""
    finished = [run for run in runs if run["summary"]]
    keys = differing_keys(finished) if len(finished) > 1 else []
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for run in finished:
        group = tuple(run["config"].get(k) for k in keys)
        run["group"] = ", ".join(f"{k}={v}" for k, v in zip(keys, group)) or run["config"].get("experiment", "")
        groups.setdefault(group, []).append(run)
    rows = []
    for group, members in groups.items():
        for index, run in enumerate(sorted(members, key=lambda r: r["config"].get("seed", 0))):
            run["seed_index"] = index
        accuracy = mean_std([metrics_of(r, split)["accuracy"] for r in members])
        loss = mean_std([metrics_of(r, split)["loss"] for r in members])
        rows.append({"values": dict(zip(keys, group)), "seeds": len(members), "accuracy": accuracy, "loss": loss,
                     "train_seconds": statistics.fmean(r["summary"]["train_seconds"] for r in members),
                     "experiment": members[0]["config"].get("experiment", "")})
    rows.sort(key=lambda row: -row["accuracy"][0])
    return keys, rows


def markdown_table(keys: Sequence[str], rows: Sequence[dict[str, Any]], split: str = "test") -> str:
    header = ["experiment", *keys, "seeds", f"{split} accuracy", f"{split} loss", "train s"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [row["experiment"], *(str(row["values"][k]) for k in keys), str(row["seeds"]),
                 f"{row['accuracy'][0]:.4f} ± {row['accuracy'][1]:.4f}", f"{row['loss'][0]:.4f} ± {row['loss'][1]:.4f}",
                 f"{row['train_seconds']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(paths: Sequence[Path], out: Path, split: str | None = None) -> str:
    """Writes report.md and the PNGs into `out`; returns the markdown table (of `split`, else each run's own)."""
    runs = [load_run(d) for d in find_runs(paths)]
    if not runs:
        raise FileNotFoundError(f"no runs (directories with config.json) under {', '.join(map(str, paths))}")
    finished = [run for run in runs if run["summary"]]
    missing = [str(run["dir"]) for run in finished if split and split not in run["summary"].get("splits", {})]
    if missing:
        raise FileNotFoundError(f"no {split!r} split in the summaries of {', '.join(missing)}")
    keys, rows = summarise(runs, split)
    table = markdown_table(keys, rows, split or "test")
    out.mkdir(parents=True, exist_ok=True)
    images = []
    if finished:
        images.append(plots.learning_curves(finished, out / "learning_curves.png"))
        for key in keys:
            points = {}
            for row in rows:
                points.setdefault(row["values"][key], []).extend(
                    r["summary"]["eval"]["accuracy"] for r in finished
                    if r["config"].get(key) == row["values"][key])
            ordered = sorted(points.items(), key=lambda item: (str(type(item[0])), item[0]))
            images.append(plots.metric_against_key(
                key, [(value, *mean_std(accs)) for value, accs in ordered], "accuracy",
                out / f"accuracy_vs_{key.replace('.', '_')}.png"))
        best = max(finished, key=lambda r: r["summary"]["eval"]["accuracy"])
        if "confusion_matrix" in best["summary"]:
            images.append(plots.confusion_matrix(best["summary"]["confusion_matrix"], out / "confusion_matrix.png",
                                                 class_names=best["summary"].get("class_names")))
    unfinished = len(runs) - len(finished)
    body = [f"# Report: {len(finished)} finished runs" + (f", {unfinished} unfinished" if unfinished else ""),
            "", table, ""] + [f"![{image.stem}]({image.name})" for image in images]
    (out / "report.md").write_text("\n".join(body) + "\n")
    return table


def main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m reports.report", description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="where report.md and PNGs go (default: first DIR)")
    parser.add_argument("--split", default=None, help="table this split (e.g. validation) instead of each run's test split")
    args = parser.parse_args(argv)
    try:
        print(write_report(args.dirs, args.out or args.dirs[0], args.split))
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
