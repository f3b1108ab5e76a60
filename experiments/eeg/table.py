"""`python -m experiments.eeg.table`: train every EEG experiment over 5 seeds and regenerate experiments/EEG.md.

For each set and model, `eeg/<set>_<model>` runs with seeds 0..4 into `--workdir/<set>_<model>/seed=N`
(a finished run is skipped, an unfinished one resumes, so the command can be re-run after a stop).
The recipes that select on validation (`select.metric`) are scored at their best validation step, and
their five seeds also as one ensemble (class probabilities averaged over the seeds' best states,
restored through `layerwise.restore(run, which="best")`). Beside them: two references fitted once on
the generic feature vectors (shrinkage LDA and L2 logistic regression), the field's classic pipelines
(`classic.py`: CSP, slow-potential means, Riemannian; hyperparameters by cross-validation on the
training split) and a label-free check of how far the test trials differ from the training trials
(`shift.py`). It rewrites the part of `experiments/EEG.md` between the `eeg-table` markers (with the
time the command took) and draws the learned-filter figure `docs/eeg_shallow_filters.png` and the
validation curves of every row below chance, `docs/eeg_below_chance.png`.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

import experiments
from data import uea
from train import runtime

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("shallow", "eegnet", "deep4", "gru", "spatial", "features", "spatial_mlp", "shallow_ea")
MODEL_NAMES = {"shallow": "ShallowConvNet", "eegnet": "EEGNet", "deep4": "Deep4", "gru": "GRU",
               "spatial": "SpatialMeanNet (linear)",
               "features": "features + softmax regression (optax)",
               "spatial_mlp": "SpatialMeanNet + 16 ELU hidden units, best validation step",
               "shallow_ea": "ShallowConvNet on Euclidean-aligned trials, best validation step"}
NOT_DEEP = ("spatial", "features")  # no non-linear hidden layer: not on the network side of the comparison
# Published test accuracies on the same splits (experiments/EEG.md cites them): the competition's winner
# and the best figure on the UEA archive's split found in the literature checked; "not checked" where no
# source was at hand to confirm a figure.
PUBLISHED = {
    "scp1": ("not checked (BCI Competition 2003, data set Ia)", "0.932 (MultiRocket, ConvTran paper Table 1)"),
    "fingers": ("0.84 (Wang et al. 2004)", "0.64 (signature kernels, Toth et al. 2023)"),
    "eyes": ("- (no competition)", "not checked"),
    "scp2": ("not checked (BCI Competition 2003, data set Ib)", "not checked"),
    "blink": ("- (no competition)", "not checked"),
}
ALL_SETS = ("scp1", "fingers", "eyes", "scp2", "blink")
DEFAULT_SETS = ALL_SETS
BEGIN, END = "<!-- eeg-table:begin -->", "<!-- eeg-table:end -->"


def _define_flags() -> None:
    """Flags exist only when this module is the program, so importing it (tests, other tools) never
    collides with the flags of `python -m train`."""
    global _SETS, _SEEDS, _WORKDIR, _MARKDOWN, _FIGURE
    _SETS = flags.DEFINE_list("sets", list(DEFAULT_SETS), "sets to train: any of scp1, fingers, eyes, scp2, blink; "
                              "the tables also show every other set whose runs are all in --workdir")
    _SEEDS = flags.DEFINE_integer("seeds", 5, "training seeds 0..N-1 per model")
    _WORKDIR = flags.DEFINE_string("workdir", "runs/eeg", "where the runs go")
    _MARKDOWN = flags.DEFINE_string("markdown", str(ROOT / "experiments" / "EEG.md"), "file whose table is rewritten")
    _FIGURE = flags.DEFINE_string("figure", str(ROOT / "docs" / "eeg_shallow_filters.png"), "learned-filter figure; "
                                  "the validation curves of rows below chance go beside it (eeg_below_chance.png)")


def run_all(sets: Sequence[str], seeds: int, workdir: Path, train: bool = True) -> dict[str, Any]:
    """Trains what is missing (unless `train` is False); returns {set: {model: [summary per seed]}}."""
    from train import loop
    results: dict[str, Any] = {}
    for short in sets:
        for model in MODELS:
            name = f"eeg/{short}_{model}"
            if name not in experiments.names():   # a recipe chosen for some sets only
                continue
            for seed in range(seeds):
                run_dir = workdir / f"{short}_{model}" / f"seed={seed}"
                summary_path = run_dir / loop.SUMMARY_FILE
                if not summary_path.exists():
                    if not train:
                        return {}
                    config = experiments.get_config(name)
                    config.seed = seed
                    start = time.perf_counter()
                    summary = loop.train_and_evaluate(config, run_dir)
                    print(f"{name} seed {seed}: test accuracy {summary['eval']['accuracy']:.4f} "
                          f"({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
                summary = json.loads(summary_path.read_text())
                results.setdefault(short, {}).setdefault(model, []).append(summary)
    return results


def references(short: str) -> dict[str, float]:
    """Test accuracy of shrinkage LDA and logistic regression on the set's feature vectors."""
    import data
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    ds = data.load(experiments.get_config(f"eeg/{short}_features").data)
    train, test = ds.splits["train"], ds.splits["test"]
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(train.inputs, train.labels)
    logistic = LogisticRegression(C=0.1, max_iter=5000).fit(train.inputs, train.labels)
    return {"shrinkage LDA (scikit-learn)": float(lda.score(test.inputs, test.labels)),
            "logistic regression, C=0.1 (scikit-learn)": float(logistic.score(test.inputs, test.labels))}


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _row(label: str, summaries: list[dict[str, Any]]) -> str:
    """One model over its seeds; a selecting run also names the step it kept and its validation accuracy there."""
    mean, std = _mean_std([s["eval"]["accuracy"] for s in summaries])
    seeds = " ".join(f"{s['eval']['accuracy']:.3f}" for s in summaries)
    steps = str(summaries[0]["steps"])
    if "selected" in summaries[0]:
        seeds += "; validation " + " ".join(f"{s['selected']['value']:.3f}" for s in summaries)
        steps += ", kept " + " ".join(str(s["selected"]["step"]) for s in summaries)
    seconds = statistics.fmean(s["train_seconds"] for s in summaries)
    return f"| {label} | {summaries[0]['num_params']:,} | **{mean:.3f} ± {std:.3f}** | {seeds} | {steps} | {seconds:.1f} |"


def ensemble(run_dirs: Sequence[Path]) -> dict[str, float]:
    """{split: accuracy} of the runs' best states voting together (class probabilities averaged), on
    validation and test; cached beside the runs as ensemble.json."""
    cache = run_dirs[0].parent / "ensemble.json"
    if cache.exists():
        return json.loads(cache.read_text())
    import numpy as np
    import layerwise
    probabilities, labels = {}, {}
    for run_dir in run_dirs:
        run = layerwise.restore(run_dir, which="best")
        for split in ("validation", "test"):
            logits = run.predict(run.dataset.splits[split].inputs)
            p = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probabilities.setdefault(split, []).append(p / p.sum(axis=-1, keepdims=True))
            labels[split] = run.dataset.splits[split].labels
    result = {split: float((np.mean(p, axis=0).argmax(-1) == labels[split]).mean()) for split, p in probabilities.items()}
    cache.write_text(json.dumps(result) + "\n")
    return result


def tables(results: dict[str, Any], refs: dict[str, dict[str, float]], classic: dict[str, list[str]] | None = None,
           ensembles: dict[str, dict[str, dict[str, float]]] | None = None) -> str:
    """Markdown: one table per set, every model (mean ± std over seeds), the ensembles of the selecting
    recipes, the two references on the generic features and the classic pipelines' rows."""
    from experiments.eeg import SETS
    out = []
    for short, by_model in results.items():
        problem = SETS[short]["problem"]
        out += [f"### {problem} (`eeg/{short}_*`)", "",
                "| model | parameters | test accuracy, mean ± std | per seed | steps | train s (mean) |",
                "| --- | --- | --- | --- | --- | --- |"]
        for model, summaries in by_model.items():
            out.append(_row(f"`eeg/{short}_{model}`: {MODEL_NAMES[model]}", summaries))
            voted = (ensembles or {}).get(short, {}).get(model)
            if voted:
                out.append(f"| `eeg/{short}_{model}`, the {len(summaries)} seeds as one ensemble | - | "
                           f"**{voted['test']:.3f}** | validation {voted['validation']:.3f} | - | - |")
        for label, accuracy in refs.get(short, {}).items():
            out.append(f"| same features, {label} | - | {accuracy:.3f} | deterministic | - | - |")
        out += (classic or {}).get(short, [])
        out.append("")
    return "\n".join(out)


def verdict(results: dict[str, Any], classic: dict[str, list[Any]]) -> str:
    """Markdown: per set, the network side against the classic side, each chosen without the test split.

    The network: of the raw networks with a non-linear hidden layer, the one with the highest mean
    validation accuracy (at the kept step for a selecting recipe, so that figure is optimistic). The
    classic pipeline: the one with the highest cross-validation accuracy on the training split.
    """
    from experiments.eeg import SETS
    out = ["| set | network (chosen on validation): test | classic (chosen by training CV): test | network - classic "
           "| best on test of each side | competition winner | best on the UEA split |", "|" + " --- |" * 7]
    for short, by_model in results.items():
        deep = {m: s for m, s in by_model.items() if m not in NOT_DEEP}
        if not deep or not classic.get(short):
            continue
        mean_of = {m: _mean_std([x["eval"]["accuracy"] for x in s]) for m, s in deep.items()}
        chosen = max(deep, key=lambda m: statistics.fmean(x["splits"]["validation"]["accuracy"] for x in deep[m]))
        rival = max(classic[short], key=lambda r: r.cv_accuracy)
        top = max(deep, key=lambda m: mean_of[m][0])
        top_classic = max(classic[short], key=lambda r: r.test_accuracy)
        (mean, std), winner, uea = mean_of[chosen], *PUBLISHED[short]
        out.append(f"| {SETS[short]['problem']} | {MODEL_NAMES[chosen]} {mean:.3f} ± {std:.3f} | "
                   f"{classic_names()[rival.name]} {rival.test_accuracy:.3f} | {mean - rival.test_accuracy:+.3f} | "
                   f"{MODEL_NAMES[top]} {mean_of[top][0]:.3f}; {classic_names()[top_classic.name]} "
                   f"{top_classic.test_accuracy:.3f} | {winner} | {uea} |")
    return "\n".join(out)


def classic_names() -> dict[str, str]:
    from experiments.eeg import classic
    return classic.NAMES


def clock(workdir: Path, start: float, trained: int) -> str:
    """Appends this invocation's wall and CPU time to workdir/timings.jsonl; one line summing every invocation."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    record = {"wall_s": time.perf_counter() - start, "cpu_s": sum(u.ru_utime + u.ru_stime for u in usage),
              "runs_trained": trained, "load_end": os.getloadavg()[0], "cores": os.cpu_count()}
    path = workdir / "timings.jsonl"
    with open(path, "a") as handle:
        handle.write(json.dumps(record) + "\n")
    found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    wall, cpu = sum(r["wall_s"] for r in found), sum(r["cpu_s"] for r in found)
    return (f"Written by `python -m experiments.eeg.table` in {len(found)} invocation(s) totalling {wall / 60:.1f} min "
            f"of wall time and {cpu / 60:.1f} min of CPU time ({sum(r['runs_trained'] for r in found)} runs trained; "
            f"load average {found[-1]['load_end']:.1f} at the end, on {found[-1]['cores']} cores).")


def rewrite(markdown: Path, body: str) -> None:
    """Replaces the text between the markers (or appends it, with them, if they are missing)."""
    text = markdown.read_text() if markdown.exists() else ""
    block = f"{BEGIN}\n{body}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text + ("\n" if text else "") + block + "\n"
    markdown.write_text(text)


def main(argv: Sequence[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)   # orbax logs every checkpoint step at INFO
    runtime.enable_compilation_cache()
    start = time.perf_counter()
    workdir = Path(_WORKDIR.value)
    unknown = set(_SETS.value) - set(ALL_SETS)
    if unknown:
        raise app.UsageError(f"unknown sets {sorted(unknown)}; valid: {', '.join(ALL_SETS)}")
    workdir.mkdir(parents=True, exist_ok=True)
    before = len(list(workdir.glob("*/seed=*/summary.json")))
    results = {}
    for short in ALL_SETS:   # the requested sets are trained; others are shown if complete in workdir
        results.update(run_all([short], _SEEDS.value, workdir, train=short in _SETS.value))
    refs = {short: references(short) for short in results}
    ensembles = {short: {model: ensemble(sorted((workdir / f"{short}_{model}").glob("seed=*")))
                         for model, summaries in by_model.items() if "selected" in summaries[0]}
                 for short, by_model in results.items()}
    from experiments.eeg import SETS, classic, curves, filters as eeg_filters, shift
    fitted = classic.run({short: SETS[short]["problem"] for short in results}, workdir / "classic")
    body = tables(results, refs, {short: classic.rows(found) for short, found in fitted.items()}, ensembles)
    body += "\n#### Which side wins\n\n" + verdict(results, fitted) + "\n"
    separable = {}
    for short in results:
        splits = classic.trials(SETS[short]["problem"], validation_fraction=0.0)
        separable[SETS[short]["problem"]] = shift.separability(
            splits["train"][0], splits["test"][0], uea.sampling_rate(SETS[short]["problem"]),
            experiments.get_config(f"eeg/{short}_spatial").model.windows)
    body += ("\n#### Can a classifier tell training trials from test trials? (balanced 5-fold CV accuracy, no labels)"
             "\n\n" + shift.table(separable) + "\n")
    filter_sets = [s for s in ("scp1", "fingers") if s in results]
    eeg_filters.figure(workdir, filter_sets, Path(_FIGURE.value))
    body += ("\n#### First-layer gain per band after training (at initialisation), mean over filters and seeds\n\n"
             + eeg_filters.gain_table(workdir, filter_sets) + "\n")
    below = curves.below_chance(results)
    if curves.figure(workdir, below, Path(_FIGURE.value).with_name("eeg_below_chance.png")):
        body += ("\n#### Validation accuracy over training of the rows below chance on test\n\n"
                 "![validation curves of the rows below chance](../docs/eeg_below_chance.png)\n")
    trained = len(list(workdir.glob("*/seed=*/summary.json"))) - before
    body += "\n" + clock(workdir, start, trained) + "\n"
    rewrite(Path(_MARKDOWN.value), body)
    print(body)
    print(f"wall time {time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    _define_flags()
    runtime.configure_cpu()
    app.run(main)
