"""`python -m experiments.eeg.table`: train every EEG experiment over 5 seeds and regenerate experiments/EEG.md.

For each set and model, `eeg/<set>_<model>` runs with seeds 0..4 into `--workdir/<set>_<model>/seed=N`
(a finished run is skipped, an unfinished one resumes, so the command can be re-run after a stop).
Beside them, two references fitted once on the same feature vectors and the same training split:
shrinkage LDA and L2 logistic regression (scikit-learn, deterministic). Then it rewrites the part of
`experiments/EEG.md` between the `eeg-table` markers and draws the learned-filter figure
`docs/eeg_shallow_filters.png` (ShallowConvNet's first temporal filters against the feature bands).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from absl import app, flags, logging

from train import runtime

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("shallow", "eegnet", "deep4", "gru", "spatial", "features")
MODEL_NAMES = {"shallow": "ShallowConvNet", "eegnet": "EEGNet", "deep4": "Deep4", "gru": "GRU",
               "spatial": "SpatialMeanNet (linear)",
               "features": "features + softmax regression (optax)"}
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
    _FIGURE = flags.DEFINE_string("figure", str(ROOT / "docs" / "eeg_shallow_filters.png"), "learned-filter figure")


def run_all(sets: Sequence[str], seeds: int, workdir: Path, train: bool = True) -> dict[str, Any]:
    """Trains what is missing (unless `train` is False); returns {set: {model: [summary per seed]}}."""
    import experiments
    from train import loop
    results: dict[str, Any] = {}
    for short in sets:
        for model in MODELS:
            name = f"eeg/{short}_{model}"
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
    import experiments
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    ds = data.load(experiments.get_config(f"eeg/{short}_features").data)
    train, test = ds.splits["train"], ds.splits["test"]
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(train.inputs, train.labels)
    logistic = LogisticRegression(C=0.1, max_iter=5000).fit(train.inputs, train.labels)
    return {"shrinkage LDA (scikit-learn)": float(lda.score(test.inputs, test.labels)),
            "logistic regression, C=0.1 (scikit-learn)": float(logistic.score(test.inputs, test.labels))}


def _row(label: str, summaries: list[dict[str, Any]]) -> str:
    accuracies = [s["eval"]["accuracy"] for s in summaries]
    mean = statistics.fmean(accuracies)
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    seeds = " ".join(f"{a:.3f}" for a in accuracies)
    seconds = statistics.fmean(s["train_seconds"] for s in summaries)
    return (f"| {label} | {summaries[0]['num_params']:,} | **{mean:.3f} ± {std:.3f}** | {seeds} | "
            f"{summaries[0]['steps']} | {seconds:.1f} |")


def tables(results: dict[str, Any], refs: dict[str, dict[str, float]]) -> str:
    """Markdown: one table per set, every model (mean ± std over seeds) and the two references."""
    import experiments
    from experiments.eeg import SETS
    out = []
    for short, by_model in results.items():
        problem = SETS[short]["problem"]
        out += [f"### {problem} (`eeg/{short}_*`)", "",
                "| model | parameters | test accuracy, mean ± std | per seed | steps | train s (mean) |",
                "| --- | --- | --- | --- | --- | --- |"]
        for model, summaries in by_model.items():
            out.append(_row(f"`eeg/{short}_{model}`: {MODEL_NAMES[model]}", summaries))
        for label, accuracy in refs.get(short, {}).items():
            out.append(f"| same features, {label} | - | {accuracy:.3f} | deterministic | - | - |")
        out.append("")
    del experiments
    return "\n".join(out)


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
    results = {}
    for short in ALL_SETS:   # the requested sets are trained; others are shown if complete in workdir
        results.update(run_all([short], _SEEDS.value, workdir, train=short in _SETS.value))
    refs = {short: references(short) for short in results}
    body = tables(results, refs)
    from experiments.eeg import filters as eeg_filters
    filter_sets = [s for s in ("scp1", "fingers") if s in results]
    eeg_filters.figure(workdir, filter_sets, Path(_FIGURE.value))
    body += ("\n#### First-layer gain per band after training (at initialisation), mean over filters and seeds\n\n"
             + eeg_filters.gain_table(workdir, filter_sets) + "\n")
    rewrite(Path(_MARKDOWN.value), body)
    print(body)
    print(f"wall time {time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    _define_flags()
    runtime.configure_cpu()
    app.run(main)
