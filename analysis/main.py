"""Command line: `python -m analysis --workdir=W` and `python -m analysis --compare W1 W2`.

Bad input (no run in the workdir, no checkpoint, data that is not installed, an unknown layer)
ends the process with one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Sequence

from absl import app, flags, logging

from train import runtime

runtime.configure_cpu()  # before JAX starts its backend

flags.DEFINE_string("workdir", None, "A training run's directory (config.json and checkpoints/).")
flags.DEFINE_bool("compare", False, "Compare two runs given as arguments: python -m analysis --compare W1 W2.")
flags.DEFINE_string("out", None, "Where to write; default WORKDIR/analysis (with --compare: W1/analysis).")
flags.DEFINE_integer("train_examples", 10_000, "Training examples for the probes (a seeded subset of train).")
flags.DEFINE_integer("cka_examples", 1_000, "Evaluation examples for CKA and the 2-D maps.")
flags.DEFINE_integer("tsne_examples", 500, "Evaluation examples in the t-SNE maps; 0 draws PCA only.")
flags.DEFINE_integer("grid", 2, "Convolutional maps are also pooled to a grid of this many cells per axis.")
flags.DEFINE_list("layers", [], "Analyse only these layers (and the raw input); default: every layer.")
flags.DEFINE_bool("pictures", True, "Draw the PNGs (and log them to TensorBoard).")
FLAGS = flags.FLAGS

EXIT_USAGE = 2


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USAGE)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_flags(argv: Sequence[str]) -> list[str]:
    try:
        return FLAGS(argv)
    except flags.Error as error:
        fail(f"{str(error).splitlines()[0]}; flags: --workdir, --compare, --layers, --train_examples, "
             "--cka_examples (all of them: --helpfull)")


def main(argv: Sequence[str]) -> None:
    logging.set_verbosity(logging.WARNING)
    from analysis import run as runs
    from analysis.layers import AnalysisError, Options
    arguments = argv[1:]
    if FLAGS.compare:
        if len(arguments) != 2 or FLAGS.workdir:
            fail("--compare takes exactly two run directories: python -m analysis --compare W1 W2")
    elif arguments:
        fail(f"unexpected arguments: {' '.join(arguments)} (compare two runs with --compare W1 W2)")
    elif not FLAGS.workdir:
        fail("--workdir is required: the directory of a training run")
    for name, value in (("train_examples", FLAGS.train_examples), ("cka_examples", FLAGS.cka_examples),
                        ("grid", FLAGS.grid)):
        if value < 1:
            fail(f"--{name} must be at least 1, got {value}")
    runtime.enable_compilation_cache()
    options = Options(train_examples=FLAGS.train_examples, cka_examples=FLAGS.cka_examples, grid=FLAGS.grid,
                      layers=tuple(FLAGS.layers))
    start = time.perf_counter()
    try:
        if FLAGS.compare:
            from analysis import compare, outputs
            first, second = (runs.restore(Path(w)) for w in arguments)
            result = compare.compare(first, second, options)
            out = Path(FLAGS.out or Path(arguments[0]) / "analysis")
            name = f"cka_vs_{compare.label(Path(arguments[1]))}"
            outputs.write_json(result, out / f"{name}.json")
            path = compare.draw(result, out / f"{name}.png")
            say(f"cross-run CKA ({len(result['rows'])} x {len(result['columns'])} layers) in "
                f"{time.perf_counter() - start:.1f}s: {path}")
            return
        from analysis import outputs
        from analysis.layers import analyse
        run = runs.restore(Path(FLAGS.workdir))
        analysis = analyse(run, options, say)
        out = Path(FLAGS.out or Path(FLAGS.workdir) / "analysis")
        if FLAGS.pictures:
            outputs.save(run, analysis, out, FLAGS.tsne_examples, say)
        else:
            analysis.report["pictures"] = []
            outputs.write_json(analysis.report, out / "layers.json")
    except (*runs.ERRORS, AnalysisError) as error:
        fail(str(error))
    print(outputs.table(analysis.report))
    say(f"analysis of {FLAGS.workdir}: {time.perf_counter() - start:.1f}s; {out / 'layers.json'}")


def run() -> None:
    app.run(main, flags_parser=parse_flags)
