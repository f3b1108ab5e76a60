"""`python -m experiments.molecules`: train the molecule study over 3 seeds on both splits and rewrite MOLECULES.md.

For each split (scaffold, random) and each experiment, `molecules/<name>` runs with
`data.split=<split>` and seeds 0..N-1 into `--workdir/<split>/<name>/seed=N` (a finished run is
skipped, an unfinished one resumes). Each run's final checkpoint scores the validation and test
molecules (`_scores.py`); the scikit-learn references are fitted on the same splits
(`_references.py`). Then the part of `experiments/MOLECULES.md` between the `molecules-table`
markers is rewritten. Each classification table ends with one more row: the ensemble of the seeds of
the learned experiment with the best mean validation ROC AUC (the mean of their probabilities of
BBB+), scored as one model. `--validation_of=DIR` instead prints the validation metrics of every run under
DIR (a `python -m train --sweep` directory), for choosing settings without looking at test.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from experiments.molecules import _scores

ROOT = Path(__file__).resolve().parents[2]
SPLITS = ("scaffold", "random")
CLASSIFICATION = {   # experiment -> (what it reads, what it is)
    "b3db_gnn": ("molecular graph", "GNN (GINE message passing)", True),
    "b3db_dmpnn": ("molecular graph", "D-MPNN (directed bond messages, chemprop's design)", True),
    "b3db_gru": ("SMILES tokens", "bidirectional GRU", True),
    "b3db_cnn": ("SMILES tokens", "1-D CNN", True),
    "b3db_mlp_morgan": ("ECFP4 bits", "MLP", False),
    "b3db_mlp_descriptors": ("RDKit descriptors", "MLP", False),
}
REGRESSION = {
    "logbb_gnn": ("molecular graph", "GNN (GINE message passing)", True),
    "logbb_mlp_morgan": ("ECFP4 bits", "MLP", False),
    "logbb_mlp_descriptors": ("RDKit descriptors", "MLP", False),
}
BEGIN, END = "<!-- molecules-table:begin -->", "<!-- molecules-table:end -->"


def run_dir(workdir: Path, split: str, name: str, seed: int) -> Path:
    return workdir / split / name / f"seed={seed}"


def train_runs(names: Sequence[str], split: str, seeds: int, workdir: Path, train: bool = True
               ) -> dict[str, list[dict[str, Any]]]:
    """{experiment: [one result per finished seed]} with the summary, held-out metrics and wall time of each
    run; with `train` False nothing is trained and an experiment may have fewer seeds, or none."""
    import experiments
    from train import loop

    out: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        for seed in range(seeds):
            directory = run_dir(workdir, split, name, seed)
            out.setdefault(name, [])
            if not train and not (directory / loop.SUMMARY_FILE).exists():
                continue
            if not (directory / loop.SUMMARY_FILE).exists():
                config = experiments.get_config(f"molecules/{name}")
                with config.unlocked():
                    config.data.split = split
                    config.seed = seed
                start = time.perf_counter()
                loop.train_and_evaluate(config, directory)
                print(f"molecules/{name} {split} seed {seed}: {time.perf_counter() - start:.0f} s",
                      file=sys.stderr, flush=True)
            out.setdefault(name, []).append(result(directory))
    return out


def result(directory: Path) -> dict[str, Any]:
    """A finished run's summary with the study's metrics on validation and test."""
    summary = json.loads((directory / "summary.json").read_text())
    task = summary.get("task", "classification")
    scores = _scores.load(directory)
    return {"summary": summary, "validation": _scores.metrics(scores["validation"], task),
            "test": _scores.metrics(scores["test"], task), "scores": scores}


def ensemble(results: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Validation and test metrics of the seeds' mean probability of BBB+ (one model, not a mean of seeds)."""
    out = {}
    for split in ("validation", "test"):
        labels = results[0]["scores"][split]["labels"]
        if any(not np.array_equal(r["scores"][split]["labels"], labels) for r in results):
            raise ValueError(f"the seeds of one experiment scored different {split} molecules; rerun them")
        mean = np.mean([r["scores"][split]["scores"] for r in results], axis=0)
        out[split] = _scores.metrics({"labels": labels, "scores": mean}, "classification")
    return out


def mean_std(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def rows(runs: dict[str, list[dict[str, Any]]], refs: dict[str, dict[str, Any]], table: dict[str, tuple]
         ) -> list[dict[str, Any]]:
    """One row per model: label, family (learned or not), validation and test metric lists, size, time."""
    out = []
    for name, results in runs.items():
        reads, model, learned = table[name]
        if not results:
            out.append({"label": f"`molecules/{name}`: {model} on {reads}", "learned": learned, "validation": [],
                        "test": [], "params": "-", "seconds": None, "steps": None})
            continue
        out.append({"label": f"`molecules/{name}`: {model} on {reads}", "learned": learned,
                    "validation": [r["validation"] for r in results], "test": [r["test"] for r in results],
                    "params": f"{results[0]['summary']['num_params']:,}",
                    "seconds": statistics.fmean(r["summary"]["train_seconds"] for r in results),
                    "steps": results[0]["summary"]["steps"], "name": name, "results": results})
    for label, ref in refs.items():
        out.append({"label": f"{label} (scikit-learn; {ref['setting']})", "learned": False,
                    "validation": [ref["validation"]], "test": ref["test"], "params": "-", "seconds": None,
                    "steps": None})
    return out


def seconds(row: dict[str, Any]) -> str:
    return "-" if row["seconds"] is None else f"{row['seconds']:.0f}"


def best(table_rows: list[dict[str, Any]], learned: bool, key: str) -> dict[str, Any]:
    """The row of one family with the best mean validation metric (the choice never looks at test)."""
    family = [r for r in table_rows if r["learned"] == learned and r["test"]]
    sign = -1.0 if key == "rmse" else 1.0
    return max(family, key=lambda r: sign * statistics.fmean(v[key] for v in r["validation"]))


def classification_table(split: str, table_rows: list[dict[str, Any]]) -> str:
    lines = [f"### B3DB classification, {split} split", "",
             "| model | test ROC AUC | test accuracy | validation ROC AUC | test ROC AUC per seed | parameters "
             "| steps | train s |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table_rows:
        aucs = [t["roc_auc"] for t in r["test"]]
        if not aucs:
            lines.append(f"| {r['label']} | not measured | | | | | | |")
            continue
        lines.append(f"| {r['label']} | **{mean_std(aucs)}** | {mean_std([t['accuracy'] for t in r['test']])} | "
                     f"{mean_std([v['roc_auc'] for v in r['validation']])} | "
                     f"{' '.join(f'{a:.3f}' for a in aucs)} | {r['params']} | {r['steps'] or '-'} | "
                     f"{seconds(r)} |")
    if not any(r["test"] for r in table_rows if r["learned"]) or not any(r["test"] for r in table_rows
                                                                        if not r["learned"]):
        return "\n".join(lines + ["", "No verdict: a family has no measured row on this split.", ""])
    learned, classic = best(table_rows, True, "roc_auc"), best(table_rows, False, "roc_auc")
    classic_auc = statistics.fmean(t["roc_auc"] for t in classic["test"])
    lead = statistics.fmean(t["roc_auc"] for t in learned["test"]) - classic_auc
    winner = "the learned representation" if lead > 0 else "the fingerprints/descriptors"
    verdict = [f"Best by validation ROC AUC: learned {learned['label']} "
               f"{mean_std([t['roc_auc'] for t in learned['test']])} against classic {classic['label']} "
               f"{mean_std([t['roc_auc'] for t in classic['test']])} test ROC AUC: {winner} wins on the {split} "
               f"split by {abs(lead):.3f}."]
    results = learned.get("results", [])
    if len(results) > 1 and all("scores" in r for r in results):
        metrics = ensemble(results)
        lines.append(f"| `molecules/{learned['name']}`, ensemble of its {len(results)} seeds (mean probability) | "
                     f"**{metrics['test']['roc_auc']:.3f}** | {metrics['test']['accuracy']:.3f} | "
                     f"{metrics['validation']['roc_auc']:.3f} | - | {len(results)} x {learned['params']} | "
                     f"{learned['steps']} | - |")
        lead = metrics["test"]["roc_auc"] - classic_auc
        winner = "the ensemble" if lead > 0 else "the fingerprints/descriptors"
        verdict.append(f"The ensemble of that experiment's {len(results)} seeds (one model, its members' mean "
                       f"probability; not a mean over seeds) scores {metrics['test']['roc_auc']:.3f} against the "
                       f"same classic row: {winner} wins by {abs(lead):.3f}.")
    return "\n".join(lines + [""] + verdict + [""])


def regression_table(split: str, table_rows: list[dict[str, Any]]) -> str:
    lines = [f"### B3DB logBB regression, {split} split", "",
             "| model | test RMSE (logBB) | validation RMSE | test RMSE per seed | parameters | steps | train s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in table_rows:
        errors = [t["rmse"] for t in r["test"]]
        if not errors:
            lines.append(f"| {r['label']} | not measured | | | | | |")
            continue
        lines.append(f"| {r['label']} | **{mean_std(errors)}** | {mean_std([v['rmse'] for v in r['validation']])} "
                     f"| {' '.join(f'{e:.3f}' for e in errors)} | {r['params']} | {r['steps'] or '-'} | "
                     f"{seconds(r)} |")
    return "\n".join(lines + [""])


def rewrite(markdown: Path, body: str) -> None:
    """Replaces the text between the markers (or appends it, with them, if they are missing)."""
    text = markdown.read_text() if markdown.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = f"{head}{BEGIN}\n{body}\n{END}{rest.split(END, 1)[1]}"
    else:
        text = text + ("\n" if text else "") + f"{BEGIN}\n{body}\n{END}\n"
    markdown.write_text(text)


def validation_report(directory: Path) -> str:
    """Validation metrics of every finished run under `directory` (no test numbers), one line each."""
    lines = []
    for summary in sorted(directory.glob("**/summary.json")):
        run = summary.parent
        task = json.loads(summary.read_text()).get("task", "classification")
        metrics = _scores.metrics(_scores.load(run)["validation"], task)
        lines.append(f"{run.relative_to(directory)}  " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return "\n".join(lines)


def references(data_name: str, split: str, seeds: int, workdir: Path) -> dict[str, dict[str, Any]]:
    """The scikit-learn references of one data set and split, fitted once and kept in the workdir."""
    from experiments.molecules import _references

    path = workdir / split / f"references_{data_name}_seeds{seeds}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        path.write_text(json.dumps(_references.all_references(data_name, split, seeds), indent=1))
        print(f"references {data_name} {split}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return json.loads(path.read_text())


def main(workdir: Path, seeds: int, splits: Sequence[str], markdown: Path | None, regression: bool = True,
         only: Sequence[str] = (), train: bool = True) -> str:
    """Trains what is missing; with `only`, just those experiments' runs (several processes can share the
    work this way) and no page. Otherwise fits the references and rewrites `markdown`; with `train` False
    from the finished runs only, the missing ones marked as not measured."""
    start = time.perf_counter()
    tables = [(CLASSIFICATION, "b3db", classification_table)] + \
        ([(REGRESSION, "b3db_logbb", regression_table)] if regression else [])
    body = []
    for table, data_name, write in tables:
        for split in splits:
            names = [n for n in table if not only or n in only]
            runs = train_runs(names, split, seeds, workdir, train)
            if not only:
                body.append(write(split, rows(runs, references(data_name, split, seeds, workdir), table)))
    if only:
        return ""
    text = "\n".join(body)
    if markdown is not None:
        rewrite(markdown, text)
    print(text)
    print(f"wall time {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return text
