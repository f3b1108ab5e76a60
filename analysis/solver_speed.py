"""`python -m analysis.solver_speed --workdir=W --layer=NAME`: the probe solver against scikit-learn, on a run's own layer.

Both fit the same problem: the layer's standardised features of the analysis's train subset, the
same four L2 strengths (scikit-learn's C = 1 / (n * l2) for the same minimiser), at most the same
number of L-BFGS iterations, the strength chosen on the validation part, scored on the test part.
Prints one markdown row per solver: seconds (the jitted solver twice: with compilation, then from
the compilation cache's in-memory copy) and the chosen probe's test accuracy.
"""

from __future__ import annotations

import time
import warnings
from typing import Sequence

from absl import app, flags, logging

from train import runtime

runtime.configure_cpu()

WORKDIR = flags.DEFINE_string("workdir", None, "A training run's directory.", required=True)
LAYER = flags.DEFINE_string("layer", None, "The layer whose probe is timed.", required=True)
TRAIN_EXAMPLES = flags.DEFINE_integer("train_examples", 10_000, "Probe training examples.")


def main(argv: Sequence[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from analysis import run as runs, probes
    from analysis.examples import classification_parts
    from analysis.layers import Options, _Network, main_view, probe_features, variables_of

    run = runs.restore(WORKDIR.value)
    options = Options(train_examples=TRAIN_EXAMPLES.value)
    network = _Network(run, options)
    nets = {"trained": variables_of(run.state)}
    network.layer_shapes(run, nets["trained"])
    parts = classification_parts(run.dataset, options.train_examples, options.cka_examples)
    features, _ = probe_features(run, network, nets, parts, [LAYER.value], options)
    views = features["trained"]
    view = main_view({v: 0 for v in views["train"][LAYER.value] if v not in ("max", "steps")})
    data = {p: (views[p][LAYER.value][view], parts[p].targets["class"]) for p in ("train", "validation", "test")}
    width = data["train"][0].reshape(len(data["train"][0]), -1).shape[1]
    print(f"| solver | {LAYER.value} ({view}, {width} features), {len(data['train'][1])} train examples | "
          "seconds | test accuracy |\n| --- | --- | --- | --- |")
    for attempt in ("first call (compiles)", "second call"):
        start = time.perf_counter()
        result = probes.fit(data["train"], data["validation"], data["test"], run.dataset.num_classes)
        print(f"| jitted L-BFGS, 4 strengths in one vmap | {attempt} | {time.perf_counter() - start:.1f} | "
              f"{result.test_accuracy:.4f} |", flush=True)
    x_train, x_val, x_test = probes.standardize(data["train"][0], data["validation"][0], data["test"][0])
    start = time.perf_counter()
    best = (-1.0, 0.0)
    for l2 in probes.L2_GRID:
        model = LogisticRegression(C=1.0 / (len(x_train) * l2), max_iter=probes.MAX_ITER, tol=probes.TOLERANCE)
        with warnings.catch_warnings():  # it stops at the same iteration limit as the jitted solver
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_train, data["train"][1])
        best = max(best, (model.score(x_val, data["validation"][1]), model.score(x_test, data["test"][1])))
    print(f"| scikit-learn LogisticRegression(lbfgs), 4 strengths in turn | - | {time.perf_counter() - start:.1f} | "
          f"{best[1]:.4f} |")


if __name__ == "__main__":
    app.run(main)
