"""Validation accuracy over training, for the EEG rows that end below chance on test.

A balanced two-class test below 0.5 is either noise around chance or a network that learned
something that does not carry over to the test trials. The two read differently on the validation
split carved from the training trials: flat at 0.5 (nothing learnable) or well above it (learned,
then lost on test: the test trials differ from the training ones). This draws that curve for every
seed of each such row, from the `validation` lines of the runs' `metrics.jsonl`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence


def validation_curve(run_dir: Path) -> list[tuple[int, float]]:
    """[(step, validation accuracy)] in step order, from a run's metrics.jsonl (empty if it never evaluated).

    The final scoring of a selecting run (marked `selected_step`: the kept state, not the last one) is left out.
    """
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    lines = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return sorted((m["step"], m["accuracy"]) for m in lines if m.get("split") == "validation" and "selected_step" not in m)


def below_chance(results: dict[str, dict[str, list[dict]]], chance: float = 0.5) -> list[tuple[str, str, float]]:
    """[(set, model, mean test accuracy)] of every row whose mean over seeds is below `chance`."""
    rows = []
    for short, by_model in results.items():
        for model, summaries in by_model.items():
            mean = sum(s["eval"]["accuracy"] for s in summaries) / len(summaries)
            if mean < chance:
                rows.append((short, model, mean))
    return rows


def figure(workdir: Path, rows: Sequence[tuple[str, str, float]], path: Path) -> bool:
    """One panel per row: validation accuracy against step for each seed, chance and the test mean marked.

    Returns False (and draws nothing) when no row has a validation curve.
    """
    curves = {(short, model): [validation_curve(seed_dir) for seed_dir in sorted((workdir / f"{short}_{model}").glob("seed=*"))]
              for short, model, _ in rows}
    rows = [row for row in rows if any(curves[row[:2]])]
    if not rows:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 2.8), squeeze=False, sharey=True)
    for ax, (short, model, test) in zip(axes[0], rows):
        for curve in curves[(short, model)]:
            if curve:
                steps, accuracy = zip(*curve)
                ax.plot(steps, accuracy, lw=1, alpha=0.8)
        ax.axhline(0.5, color="k", ls=":", lw=1, label="chance")
        ax.axhline(test, color="r", ls="--", lw=1, label=f"test mean {test:.2f}")
        ax.set_title(f"{short}_{model}", fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylim(0.2, 1.0)
        ax.legend(fontsize=7, loc="lower right")
    axes[0][0].set_ylabel("validation accuracy")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
