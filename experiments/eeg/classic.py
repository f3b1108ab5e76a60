"""The field's classic EEG pipelines, built from the field's libraries, on the same splits as the networks.

Three families, each the strongest classic method for one kind of signal:

- `csp_lda`: band-pass, common spatial patterns (`mne.decoding.CSP`, log-variance of each spatial
  filter's output), linear discriminant analysis. Band power under learned spatial filters: the
  standard for event-related (de)synchronisation (Ramoser, Mueller-Gerking and Pfurtscheller 2000;
  Blankertz et al. 2008).
- `sp_lda`: slow potentials: optional re-reference, baseline removal and low-pass, the mean of each channel over
  equal time windows, shrinkage LDA (Ledoit-Wolf). The standard for slow cortical potentials and
  the readiness potential (Blankertz, Lemm, Treder, Haufe and Mueller 2011, "Single-trial analysis
  and classification of ERP components - a tutorial").
- `riemann_lr`: covariance matrices (`pyriemann`), projected to the tangent space at their Riemannian
  mean, L2 logistic regression (Barachant, Bonnet, Congedo and Jutten 2012/2013). The covariance is
  either the band-passed trial's own or the xDAWN-augmented one (class prototypes stacked on the
  trial), which carries the average waveform's sign and so suits slow potentials.
- `riemann_mdm`: the same covariances, minimum distance to the Riemannian class means.

Every pipeline is a scikit-learn estimator on trials shaped [N, channels, time] (MNE's layout).
Hyperparameters (band, number of filters, windows, reference, covariance kind) are chosen by
stratified 5-fold cross-validation on the training split only, the model is refitted on that split,
and it is scored on the validation split (the same held-out trials the networks are selected on) and
once on the official test split.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from data import config as data_config
from data import eeg_features, uea

# Pipeline name -> what the table calls it.
NAMES = {
    "csp_lda": "CSP + LDA (mne)",
    "sp_lda": "slow-potential window means + shrinkage LDA (scikit-learn)",
    "riemann_lr": "Riemannian tangent space + logistic regression (pyriemann)",
    "riemann_mdm": "Riemannian minimum distance to mean (pyriemann)",
}


class _Stateless(BaseEstimator, TransformerMixin):
    """A transformer that learns nothing from the data, so it counts as fitted from the start (also inside a
    nested pipeline or a feature union)."""

    def fit(self, x: np.ndarray, y: Any = None) -> "_Stateless":
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True


class BandPass(_Stateless):
    """Zero-phase Butterworth filter of [N, channels, time] trials; `low <= 0` low-pass, `high <= 0` none."""

    def __init__(self, fs: float = 100.0, low: float = 0.0, high: float = 0.0):
        self.fs, self.low, self.high = fs, low, high

    def transform(self, x: np.ndarray) -> np.ndarray:
        high = self.high if self.high > 0 else self.fs / 2
        return np.swapaxes(eeg_features.bandpass(np.swapaxes(x, -1, -2), self.fs, self.low, high), -1, -2)


class _MeanRemoval(_Stateless):
    """Subtracts the mean along `axis` when `kind` is `active`; `kind="none"` passes the trials through."""

    axis, active, label = -1, "", ""

    def __init__(self, kind: str = "none"):
        self.kind = kind

    def fit(self, x: np.ndarray, y: Any = None) -> "_MeanRemoval":
        if self.kind not in ("none", self.active):
            raise ValueError(f"{self.label} must be 'none' or '{self.active}', got {self.kind!r}")
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=self.axis, keepdims=True) if self.kind == self.active else x


class Reference(_MeanRemoval):
    """`none`, or `average`: subtract the mean over electrodes at every sample (common average reference)."""

    axis, active, label = -2, "average", "reference"


class Baseline(_MeanRemoval):
    """`none`, or `trial`: subtract each trial's own mean per electrode, so only the course within the
    trial is left (robust to offsets that drift between recordings; discards the offset's information)."""

    axis, active, label = -1, "trial", "baseline"


class WindowMeans(_Stateless):
    """[N, channels, time] -> [N, channels * windows]: the mean of each of `windows` equal segments.

    Samples that do not fill the last segment are dropped from the start, so the window nearest the
    end of the trial (the movement, the end of the feedback) is always complete.
    """

    def __init__(self, windows: int = 5):
        self.windows = windows

    def transform(self, x: np.ndarray) -> np.ndarray:
        n, channels, length = x.shape
        segment = length // self.windows
        if segment < 1:
            raise ValueError(f"windows={self.windows} does not fit trials of {length} samples")
        x = x[..., length - segment * self.windows:]
        return x.reshape(n, channels, self.windows, segment).mean(axis=-1).reshape(n, -1)


def _require(package: str) -> None:
    """A one-line error with the fix when an optional EEG dependency is missing."""
    import importlib.util
    if importlib.util.find_spec(package) is None:
        raise ImportError(f"the classic EEG pipelines need {package}: pip install -e '.[eeg]'")


def _covariances(kind: str, nfilter: int = 4):
    _require("pyriemann")
    from pyriemann.estimation import Covariances, XdawnCovariances
    if kind == "xdawn":
        return XdawnCovariances(nfilter=nfilter, estimator="oas")
    return Covariances(estimator="oas")


def pipeline(name: str, fs: float) -> tuple[Pipeline, dict[str, list]]:
    """(estimator, parameter grid) for one classic pipeline on recordings sampled at `fs` Hz."""
    top = min(40.0, 0.45 * fs)
    bands = [(8.0, 30.0), (1.0, top)]
    if name == "csp_lda":
        _require("mne")
        import mne
        from mne.decoding import CSP
        mne.set_log_level("WARNING")   # CSP logs every covariance estimate at INFO
        steps = [("filter", BandPass(fs)), ("csp", CSP(n_components=4, reg="ledoit_wolf", log=True)),
                 ("lda", LinearDiscriminantAnalysis())]
        grid = {"filter__low": [b[0] for b in bands], "csp__n_components": [2, 4, 6]}
        return _with_bands(Pipeline(steps), grid, bands)
    if name == "sp_lda":
        steps = [("reference", Reference()), ("baseline", Baseline()), ("filter", BandPass(fs)),
                 ("means", WindowMeans()), ("lda", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"))]
        grid = {"reference__kind": ["none", "average"], "baseline__kind": ["none", "trial"],
                "filter__high": [0.0, 5.0], "means__windows": [5, 10]}
        return Pipeline(steps), grid
    if name in ("riemann_lr", "riemann_mdm"):
        _require("pyriemann")
        from pyriemann.classification import MDM
        from pyriemann.tangentspace import TangentSpace
        classifier = ([("tangent", TangentSpace()), ("lr", LogisticRegression(C=1.0, max_iter=5000))]
                      if name == "riemann_lr" else [("mdm", MDM())])
        steps = [("filter", BandPass(fs)), ("covariance", _covariances("band"))] + classifier
        grid = [{"filter__low": [low], "filter__high": [high], "covariance": [_covariances("band")]}
                for low, high in bands]
        grid.append({"filter__low": [0.0], "filter__high": [0.0], "covariance": [_covariances("xdawn", 2)]})
        return Pipeline(steps), grid
    raise ValueError(f"unknown classic pipeline {name!r}; valid: {', '.join(NAMES)}")


def _with_bands(estimator: Pipeline, grid: dict, bands: list[tuple[float, float]]):
    """Turns a grid over `filter__low` into one sub-grid per (low, high) band."""
    lows = grid.pop("filter__low")
    return estimator, [{**grid, "filter__low": [low], "filter__high": [high]}
                       for low, high in bands if low in lows]


@dataclasses.dataclass(frozen=True)
class ClassicResult:
    """One classic pipeline on one set: the chosen hyperparameters and its accuracies."""

    name: str
    params: dict[str, Any]
    cv_accuracy: float          # mean over the 5 folds of the training split, at the chosen parameters
    validation_accuracy: float
    test_accuracy: float
    seconds: float


def trials(problem: str, split_seed: int = 0, validation_fraction: float = 0.2) -> dict[str, tuple]:
    """{split: (trials [N, channels, time] float64, labels)} with the networks' splits, unstandardised."""
    ds = uea.load_problem(problem, data_config.complete(
        {"split_seed": split_seed, "validation_fraction": validation_fraction}))
    return {k: (np.swapaxes(s.inputs, 1, 2).astype(np.float64), s.labels) for k, s in ds.splits.items()}


def _describe(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (type(v).__name__ + (f"({v.nfilter})" if hasattr(v, "nfilter") else "")
                if isinstance(v, BaseEstimator) else v) for k, v in params.items()}


def fit_and_score(name: str, splits: dict[str, tuple], fs: float) -> ClassicResult:
    """Chooses `name`'s hyperparameters by 5-fold CV on the training split, refits there, scores validation and test.

    `splits`: `trials()`'s {split: (trials, labels)}; `fs`: their sampling rate in Hz.
    """
    start = time.perf_counter()
    estimator, grid = pipeline(name, fs)
    search = GridSearchCV(estimator, grid, cv=StratifiedKFold(5, shuffle=True, random_state=0), refit=True,
                          error_score="raise")
    x, y = splits["train"]
    search.fit(x, y)
    validation = float(search.score(*splits["validation"])) if "validation" in splits else float("nan")
    return ClassicResult(name, _describe(search.best_params_), float(search.best_score_), validation,
                         float(search.score(*splits["test"])), time.perf_counter() - start)


def run(sets: dict[str, str], workdir: Path, names: tuple[str, ...] = tuple(NAMES)) -> dict[str, list[ClassicResult]]:
    """{short: [ClassicResult per pipeline]} for `sets` ({short: UEA problem}); each result is cached
    as `workdir/<short>_<name>.json`, so a rerun only fits what is missing."""
    results: dict[str, list[ClassicResult]] = {}
    workdir.mkdir(parents=True, exist_ok=True)
    for short, problem in sets.items():
        for name in names:
            path = workdir / f"{short}_{name}.json"
            if path.exists():
                result = ClassicResult(**json.loads(path.read_text()))
            else:
                result = fit_and_score(name, trials(problem), uea.sampling_rate(problem))
                path.write_text(json.dumps(dataclasses.asdict(result), indent=1) + "\n")
            results.setdefault(short, []).append(result)
    return results


def describe_params(params: dict[str, Any]) -> str:
    """The chosen hyperparameters in words for the table: `band 8-30 Hz, n components 4`, `low-pass 5 Hz, ...`."""
    low, high = params.get("filter__low", 0.0), params.get("filter__high", 0.0)
    words = [f"band {low:g}-{high:g} Hz" if low and high else f"high-pass {low:g} Hz" if low
             else f"low-pass {high:g} Hz" if high else "no filter"]
    for key, value in params.items():
        step, _, name = key.partition("__")
        if step == "filter":
            continue
        if name == "kind":
            words.append(f"{step} {value}")
        elif step == "covariance":
            words.append(f"covariance {value}")
        else:
            words.append(f"{name.replace('_', ' ')} {value}")
    return ", ".join(words)


def rows(results: list[ClassicResult]) -> list[str]:
    """Markdown rows in the EEG table's columns (model | parameters | test | per seed | steps | seconds):
    deterministic pipelines have one test number; the chosen hyperparameters and the CV and validation
    accuracies stand where the networks' per-seed numbers do."""
    return [f"| {NAMES[r.name]} | - | {r.test_accuracy:.3f} | deterministic; 5-fold CV {r.cv_accuracy:.3f}, "
            f"validation {r.validation_accuracy:.3f}; {describe_params(r.params)} | - | {r.seconds:.0f} |"
            for r in results]


def main(argv: list[str]) -> None:
    """`python -m experiments.eeg.classic [SETS [WORKDIR]]`: the classic rows alone (sets comma-separated)."""
    from experiments.eeg import SETS
    shorts = argv[1].split(",") if len(argv) > 1 else list(SETS)
    unknown = [s for s in shorts if s not in SETS]
    if unknown:
        raise SystemExit(f"error: unknown sets {unknown}; valid: {', '.join(SETS)}")
    workdir = Path(argv[2]) if len(argv) > 2 else Path("runs/eeg/classic")
    results = run({s: SETS[s]["problem"] for s in shorts}, workdir)
    for short, found in results.items():
        print(f"\n{SETS[short]['problem']}\n")
        print("\n".join(rows(found)))


if __name__ == "__main__":
    import sys
    main(sys.argv)
