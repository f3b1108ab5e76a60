"""Do the test trials differ from the training trials? A check that reads no test labels.

A network can score below chance on a balanced test set when it learned something the test
recording does not share. Whether the test trials differ at all is measurable without their labels:
train a shrinkage LDA to tell training trials from test trials (balanced accuracy, stratified 5-fold
cross-validation over both sets' inputs; 0.5 = indistinguishable). Three views of each trial: its
window means (the slow part the SpatialMeanNet family reads), the same with each trial's own mean
removed (only the course within the trial), and the 8-30 Hz log-power under CSP filters (what the
band-power networks and CSP read).
"""

from __future__ import annotations

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import balanced_accuracy_score, make_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from experiments.eeg import classic

VIEWS = {"means": "window means", "shape": "window means, trial baseline removed",
         "power": "8-30 Hz CSP log-power"}


def separability(train: np.ndarray, test: np.ndarray, fs: float, windows: int) -> dict[str, float]:
    """{view: balanced CV accuracy of telling `train` trials from `test` trials} ([N, channels, time] each)."""
    from mne.decoding import CSP
    x = np.concatenate([train, test])
    origin = np.r_[np.zeros(len(train), int), np.ones(len(test), int)]

    def lda():
        return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")

    views = {"means": make_pipeline(classic.WindowMeans(windows), lda()),
             "shape": make_pipeline(classic.Baseline("trial"), classic.WindowMeans(windows), lda()),
             "power": make_pipeline(classic.BandPass(fs, 8.0, 30.0), CSP(4, reg="ledoit_wolf", log=True),
                                    LinearDiscriminantAnalysis())}
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return {view: float(cross_val_score(pipeline, x, origin, cv=folds, scoring=make_scorer(balanced_accuracy_score)).mean())
            for view, pipeline in views.items()}


def table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown: one row per set ({problem: separability()})."""
    out = ["| set | " + " | ".join(VIEWS.values()) + " |", "| --- |" + " --- |" * len(VIEWS)]
    out += [f"| {problem} | " + " | ".join(f"{found[view]:.3f}" for view in VIEWS) + " |"
            for problem, found in rows.items()]
    return "\n".join(out)
