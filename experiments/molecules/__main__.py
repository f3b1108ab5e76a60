"""`python -m experiments.molecules --workdir=runs/molecules`: every molecule run, the references, MOLECULES.md."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from absl import app, flags, logging

from experiments.molecules import _table
from train import runtime

WORKDIR = flags.DEFINE_string("workdir", "runs/molecules", "where the runs go")
SEEDS = flags.DEFINE_integer("seeds", 3, "training seeds 0..N-1 per model")
SPLITS = flags.DEFINE_list("splits", list(_table.SPLITS), "splits: scaffold, random")
MARKDOWN = flags.DEFINE_string("markdown", str(_table.ROOT / "experiments" / "MOLECULES.md"), "page to rewrite")
REGRESSION = flags.DEFINE_bool("regression", True, "also the logBB regression runs")
ONLY = flags.DEFINE_list("only", [], "train only these experiments (e.g. b3db_gnn) and write no page: "
                         "several processes can share the runs this way")
TRAIN = flags.DEFINE_bool("train", True, "train the missing runs; --notrain writes the page from the finished "
                          "runs, the missing ones marked as not measured")
VALIDATION_OF = flags.DEFINE_string("validation_of", None, "print validation metrics of the runs under this "
                                    "directory (a sweep) and exit; nothing is trained, no test metric is shown")


def main(argv: Sequence[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)   # orbax logs every checkpoint step at INFO
    runtime.enable_compilation_cache()
    if VALIDATION_OF.value:
        print(_table.validation_report(Path(VALIDATION_OF.value)))
        return
    unknown = set(SPLITS.value) - set(_table.SPLITS)
    if unknown:
        raise app.UsageError(f"unknown splits {sorted(unknown)}; valid: {', '.join(_table.SPLITS)}")
    unknown = set(ONLY.value) - set(_table.CLASSIFICATION) - set(_table.REGRESSION)
    if unknown:
        raise app.UsageError(f"unknown experiments {sorted(unknown)}; valid: "
                             f"{', '.join([*_table.CLASSIFICATION, *_table.REGRESSION])}")
    _table.main(Path(WORKDIR.value), SEEDS.value, SPLITS.value, Path(MARKDOWN.value), REGRESSION.value, ONLY.value,
                TRAIN.value)


if __name__ == "__main__":
    runtime.configure_cpu()
    app.run(main)
